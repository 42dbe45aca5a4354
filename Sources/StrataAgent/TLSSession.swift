import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// An OpenSSL client `SSL_CTX` built once per destination from `AgentTLSOptions`: trust store,
/// optional client certificate, TLS 1.2 minimum. Reused by every reconnect.
final class TLSContext {
    /// The `SSL_CTX *`, freed with this object.
    let ctx: OpaquePointer
    /// The options it was built from (name checks and SNI read them per session).
    let options: AgentTLSOptions

    /// Loads the configured files now, so a wrong path fails at start-up rather than at the
    /// first shipment.
    ///
    /// - Throws: `.tls` naming the file and OpenSSL's reason.
    init(_ options: AgentTLSOptions) throws(AgentTransportError) {
        ERR_clear_error()
        guard let ctx = SSL_CTX_new(TLS_client_method()) else {
            throw .tls("cannot create an SSL_CTX: \(TLSSession.drainErrors())")
        }
        self.ctx = ctx
        self.options = options
        // TLS 1.0/1.1 are deprecated (RFC 8996); OpenSSL 3's default level already refuses
        // them, this states it.
        SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil)
        SSL_CTX_set_verify(ctx, options.insecureSkipVerify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nil)
        if let ca = options.caFile {
            guard SSL_CTX_load_verify_locations(ctx, ca, nil) == 1 else {
                throw .tls("cannot load CA file '\(ca)': \(TLSSession.drainErrors())")
            }
        } else if SSL_CTX_set_default_verify_paths(ctx) != 1 {
            throw .tls("cannot load the system CA store: \(TLSSession.drainErrors())")
        }
        if let cert = options.certFile {
            guard SSL_CTX_use_certificate_chain_file(ctx, cert) == 1 else {
                throw .tls("cannot load client certificate '\(cert)': \(TLSSession.drainErrors())")
            }
            let key = options.keyFile ?? cert
            guard SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1 else {
                throw .tls("cannot load client key '\(key)' for certificate '\(cert)': \(TLSSession.drainErrors())")
            }
            guard SSL_CTX_check_private_key(ctx) == 1 else {
                throw .tls("client key '\(key)' does not match certificate '\(cert)': \(TLSSession.drainErrors())")
            }
        } else if let key = options.keyFile {
            throw .tls("keyFile '\(key)' is set without certFile")
        }
    }

    deinit { SSL_CTX_free(ctx) }
}

/// One TLS connection over a non-blocking socket, with OpenSSL confined to memory BIOs: the
/// library never touches the descriptor, all socket I/O goes through `SocketIO` (poll-bounded
/// by the caller's deadline, MSG_NOSIGNAL), and the records of a request head and body leave
/// in as few `send` calls as possible.
final class TLSSession {
    private let ssl: OpaquePointer
    private let rbio: OpaquePointer // ciphertext from the socket, read by OpenSSL
    private let wbio: OpaquePointer // ciphertext written by OpenSSL, to the socket
    private let fd: Int32
    private let scratch: UnsafeMutableRawBufferPointer
    /// The name verified and sent as SNI, for messages.
    let serverName: String
    /// Set after a fatal TLS error, when OpenSSL forbids SSL_shutdown.
    private var failed = false

    /// Prepares a client session on connected socket `fd`; `handshake` must follow.
    init(context: TLSContext, fd: Int32, host: String) throws(TransportFailure) {
        ERR_clear_error()
        guard let ssl = SSL_new(context.ctx) else { throw .tls("SSL_new: \(TLSSession.drainErrors())") }
        guard let rbio = BIO_new(BIO_s_mem()), let wbio = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw .tls("BIO_new: \(TLSSession.drainErrors())")
        }
        SSL_set_bio(ssl, rbio, wbio) // the SSL owns both BIOs from here on
        self.ssl = ssl
        self.rbio = rbio
        self.wbio = wbio
        self.fd = fd
        scratch = .allocate(byteCount: AgentTransportLimits.tlsReadBytes, alignment: 16)
        let name = AgentHTTPConnection.unbracketed(context.options.serverName ?? host)
        serverName = name
        let literal = SocketIO.isIPLiteral(name)
        if !context.options.insecureSkipVerify {
            let param = SSL_get0_param(ssl)
            X509_VERIFY_PARAM_set_hostflags(param, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
            let ok = literal ? X509_VERIFY_PARAM_set1_ip_asc(param, name) : X509_VERIFY_PARAM_set1_host(param, name, 0)
            guard ok == 1 else { throw .tls("cannot verify against name '\(name)': \(TLSSession.drainErrors())") }
        }
        if !literal {
            // SSL_set_tlsext_host_name is a macro.
            name.withCString { _ = SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: $0)) }
        }
        // ALPN: say HTTP/1.1, so a server that also speaks h2 does not pick it.
        let alpn: [UInt8] = [8] + Array("http/1.1".utf8)
        _ = SSL_set_alpn_protos(ssl, alpn, UInt32(alpn.count))
        SSL_set_connect_state(ssl)
    }

    deinit {
        SSL_free(ssl)
        scratch.deallocate()
    }

    /// Runs the handshake, verifying the server unless configured not to.
    func handshake(until deadline: Deadline) throws(TransportFailure) {
        let r = try drive(until: deadline, eofIsEnd: false) { SSL_do_handshake($0) }
        if r <= 0 { throw .peerClosed("closed by the server during the TLS handshake") }
    }

    /// Encrypts and sends all of `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer, until deadline: Deadline) throws(TransportFailure) {
        // Slices bound the ciphertext buffered in the memory BIO.
        var offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, AgentTransportLimits.tlsWriteSliceBytes)
            let base = bytes.baseAddress! + offset
            _ = try drive(until: deadline, eofIsEnd: false) { SSL_write($0, base, Int32(n)) }
            offset += n
        }
    }

    /// Reads decrypted bytes into `buffer`, waiting until the deadline for at least one.
    /// Returns 0 at the end of the stream (close_notify, or EOF without it: the HTTP framing,
    /// not TLS, says whether the response was complete).
    func read(into buffer: UnsafeMutableRawBufferPointer, until deadline: Deadline) throws(TransportFailure) -> Int {
        let r = try drive(until: deadline, eofIsEnd: true) { SSL_read($0, buffer.baseAddress, Int32(clamping: buffer.count)) }
        return max(Int(r), 0)
    }

    /// Whether an idle session was closed by the server (EOF or close_notify) or holds
    /// application data nobody asked for. Post-handshake messages (TLS 1.3 session tickets)
    /// are consumed and do not count. Never blocks.
    func idleConnectionIsStale() -> Bool {
        while true {
            let n = recv(fd, scratch.baseAddress, scratch.count, Int32(MSG_DONTWAIT))
            if n == 0 { return true }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                return true
            }
            BIO_write(rbio, scratch.baseAddress, Int32(n))
        }
        if BIO_ctrl_pending(rbio) == 0 && SSL_pending(ssl) == 0 { return false }
        ERR_clear_error()
        var byte: UInt8 = 0
        let r = SSL_peek(ssl, &byte, 1)
        let stale = r > 0 || SSL_get_error(ssl, r) != SSL_ERROR_WANT_READ
        if !stale { try? flush(until: Deadline(millisFromNow: 0)) } // e.g. a KeyUpdate reply
        return stale
    }

    /// Sends close_notify without waiting for the reply (best effort, never blocks long).
    func shutdown() {
        guard !failed else { return }
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        try? flush(until: Deadline(millisFromNow: 0))
    }

    /// Calls `op` until it succeeds, moving ciphertext between the BIOs and the socket.
    /// Returns `op`'s positive result, or 0 when the stream ended and `eofIsEnd`.
    private func drive(until deadline: Deadline, eofIsEnd: Bool, _ op: (OpaquePointer) -> Int32) throws(TransportFailure) -> Int32 {
        while true {
            ERR_clear_error()
            let r = op(ssl)
            let code = r > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, r)
            switch code {
            case SSL_ERROR_NONE:
                try flush(until: deadline)
                return r
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                try flush(until: deadline)
                if code == SSL_ERROR_WANT_WRITE { continue } // memory BIOs never fill; defensive
                let n = try SocketIO.receive(fd, into: scratch, until: deadline)
                if n == 0 {
                    if eofIsEnd { return 0 }
                    throw .peerClosed("connection closed")
                }
                BIO_write(rbio, scratch.baseAddress, Int32(n))
            case SSL_ERROR_ZERO_RETURN:
                return 0
            default:
                failed = true
                let reason = describeFailure()
                try? flush(until: Deadline(millisFromNow: 100)) // deliver our alert if we can
                throw .tls(reason)
            }
        }
    }

    /// Sends all ciphertext OpenSSL has produced, straight from the BIO's memory.
    private func flush(until deadline: Deadline) throws(TransportFailure) {
        var data: UnsafeMutablePointer<CChar>?
        let n = BIO_ctrl(wbio, BIO_CTRL_INFO, 0, &data) // BIO_get_mem_data
        guard n > 0, let data else { return }
        try SocketIO.sendAll(fd, UnsafeRawBufferPointer(start: data, count: n), until: deadline)
        _ = BIO_ctrl(wbio, BIO_CTRL_RESET, 0, nil) // BIO_reset: drop what was sent
    }

    /// The verification result if that is what failed, else OpenSSL's error queue.
    private func describeFailure() -> String {
        let verify = SSL_get_verify_result(ssl)
        if verify != X509_V_OK {
            var text = "certificate verify failed: " + String(cString: X509_verify_cert_error_string(verify))
            switch Int32(verify) {
            case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH:
                text += " (the certificate does not name '\(serverName)')"
            case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
                text += " (is caFile set to the CA that signed the server's certificate?)"
            default: break
            }
            return text
        }
        let queued = TLSSession.drainErrors()
        return queued.isEmpty ? "unexpected end of the TLS stream" : queued
    }

    /// Empties OpenSSL's thread-local error queue into one line: `"reason; reason"`.
    static func drainErrors() -> String {
        var parts: [String] = []
        var buf = [CChar](repeating: 0, count: 256)
        while true {
            let e = ERR_get_error()
            if e == 0 { break }
            if let r = ERR_reason_error_string(e) {
                parts.append(String(cString: r))
            } else {
                ERR_error_string_n(e, &buf, buf.count)
                parts.append(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
        }
        return parts.joined(separator: "; ")
    }
}
