/// TLS settings of one shipper destination.
///
/// Verification is on unless `insecureSkipVerify` is set: the server's chain must lead to a CA
/// in `caFile` (or, without it, the system store: OpenSSL's default paths, which honour
/// `SSL_CERT_FILE` / `SSL_CERT_DIR`), and its certificate must name `serverName ?? host`
/// (a DNS name, or an IP address when the name is an IP literal).
public struct AgentTLSOptions: Sendable, Equatable {
    /// Whether to speak TLS at all; `false` behaves like passing no options.
    public var enabled: Bool
    /// PEM file of trusted CA certificates; `nil` uses the system store.
    public var caFile: String?
    /// PEM client certificate (chain) for mutual TLS.
    public var certFile: String?
    /// PEM private key of `certFile`; `nil` reads the key from `certFile` itself.
    public var keyFile: String?
    /// Accepts any server certificate. For tests and first set-up only: it gives up
    /// authentication of the log store.
    public var insecureSkipVerify: Bool
    /// The name sent as SNI and checked against the certificate, when it differs from the
    /// host connected to (for example when connecting by IP address).
    public var serverName: String?

    /// Creates TLS options; the defaults verify against the system store.
    public init(enabled: Bool = true, caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil,
                insecureSkipVerify: Bool = false, serverName: String? = nil) {
        self.enabled = enabled
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.insecureSkipVerify = insecureSkipVerify
        self.serverName = serverName
    }
}
