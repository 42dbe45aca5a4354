import NIOSSL

/// The TLS settings of the server, loaded and checked once at start-up so that a bad file
/// stops the server with its path instead of failing every handshake later.
///
/// Every TLS listener (HTTPS and syslog over TLS) presents `tls_cert`/`tls_key`; TLS 1.2 is the
/// minimum. When `tls_client_ca` is set, clients must present a certificate chaining to one of
/// its CAs, or the handshake is refused (no hostname check: clients are identified by the CA).
struct ServerTLS: Sendable {
    let configuration: TLSConfiguration
    let context: NIOSSLContext

    /// `nil` when TLS is not configured.
    static func load(_ config: ServerConfig) throws(ConfigError) -> ServerTLS? {
        guard !config.tlsCert.isEmpty else { return nil }
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(config.tlsCert) } catch {
            throw .unreadable(path: config.tlsCert, detail: "tls_cert is not a readable PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else { throw .unreadable(path: config.tlsCert, detail: "tls_cert holds no certificate") }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: config.tlsKey, format: .pem) } catch {
            throw .unreadable(path: config.tlsKey, detail: "tls_key is not a readable PEM private key (\(error))")
        }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        if !config.tlsClientCA.isEmpty {
            let roots: [NIOSSLCertificate]
            do { roots = try NIOSSLCertificate.fromPEMFile(config.tlsClientCA) } catch {
                throw .unreadable(path: config.tlsClientCA, detail: "tls_client_ca is not a readable PEM bundle (\(error))")
            }
            guard !roots.isEmpty else { throw .unreadable(path: config.tlsClientCA, detail: "tls_client_ca holds no certificate") }
            tls.trustRoots = .certificates(roots)
            tls.certificateVerification = .noHostnameVerification
        }
        do {
            return ServerTLS(configuration: tls, context: try NIOSSLContext(configuration: tls))
        } catch {
            throw .invalid(origin: "configuration", key: "tls_key", value: config.tlsKey,
                           expected: "the private key of the certificate in \(config.tlsCert) (\(error))")
        }
    }
}
