import NIOCore
import NIOPosix
import NIOSSL
import StrataFormat
import StrataIO
import StrataParse
import StrataReceivers

/// Syslog over UDP (one message a datagram) and TCP (RFC 6587 octet-counted or LF framing,
/// detected per frame; the same inside TLS for RFC 5425), parsed by `SyslogParser` into the `EntrySink`.
enum SyslogListeners {
    static func udp(host: String, port: Int, sink: EntrySink) async throws -> Channel {
        try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.so_rcvbuf), value: 8 << 20)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(UDPHandler(sink: sink)) } }
            .bind(host: host, port: port).get()
    }

    /// TCP, or TLS (RFC 5425) when `tls` is given: the same framing inside the TLS stream.
    static func tcp(host: String, port: Int, sink: EntrySink, tls: NIOSSLContext? = nil) async throws -> Channel {
        try await EntrySink.tcpListener(host: host, port: port, tls: tls) { TCPHandler(sink: sink) }
    }

    final class UDPHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let sink: EntrySink
        init(sink: EntrySink) { self.sink = sink }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            let defaults = ParseDefaults(receivedAtNanos: wallClockNanos())
            let e = envelope.data.withUnsafeReadableBytes { SyslogParser.parse($0, defaults: defaults) }
            sink.submit([e], .syslog, dropWhenFull: true)
        }
    }

    final class TCPHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let sink: EntrySink
        var framing = SyslogFraming()
        init(sink: EntrySink) { self.sink = sink }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            let defaults = ParseDefaults(receivedAtNanos: wallClockNanos())
            var entries = [LogEntry]()
            buffer.withUnsafeReadableBytes { p in framing.feed(p) { entries.append(SyslogParser.parse($0, defaults: defaults)) } }
            sink.submit(entries, .syslog)
            sink.pushBack(context.channel)
        }

        func channelInactive(context: ChannelHandlerContext) {
            var entries = [LogEntry]()
            let defaults = ParseDefaults(receivedAtNanos: wallClockNanos())
            framing.finish { entries.append(SyslogParser.parse($0, defaults: defaults)) }
            sink.submit(entries, .syslog)
            context.fireChannelInactive()
        }
    }
}
