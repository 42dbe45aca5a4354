import NIOCore
import NIOPosix
import StrataFormat
import StrataIO
import StrataParse
import StrataReceivers

/// The Fluentd forward protocol on TCP (`ForwardDecoder`), with chunk acknowledgements sent
/// only once the chunk's entries are durably stored, and a UDP heartbeat responder on the same
/// port (each heartbeat datagram is answered, as `in_forward` does).
enum ForwardListener {
    static func tcp(host: String, port: Int, sink: EntrySink) async throws -> Channel {
        try await EntrySink.tcpListener(host: host, port: port) { Handler(sink: sink) }
    }

    static func heartbeat(host: String, port: Int) async throws -> Channel {
        try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(Heartbeat()) } }
            .bind(host: host, port: port).get()
    }

    final class Heartbeat: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        typealias OutboundOut = AddressedEnvelope<ByteBuffer>
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let env = unwrapInboundIn(data)
            context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: env.remoteAddress, data: env.data)), promise: nil)
        }
    }

    final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let sink: EntrySink
        var decoder = ForwardDecoder()
        init(sink: EntrySink) { self.sink = sink }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            let defaults = ParseDefaults(receivedAtNanos: wallClockNanos())
            let batches: [ForwardDecoder.Batch]
            do throws(ReceiverError) {
                batches = try buffer.withUnsafeReadableBytes { (p: UnsafeRawBufferPointer) throws(ReceiverError) in try decoder.feed(p, defaults: defaults) }
            } catch {
                // The stream cannot be resynchronised: say why and drop the connection.
                FileLog.error("strata: forward connection from \(context.remoteAddress.map { "\($0)" } ?? "?") closed: \(error)")
                context.close(promise: nil)
                return
            }
            let channel = context.channel
            for b in batches {
                sink.countRejected(.forward, b.rejected)
                var onStored: (@Sendable (Bool) -> Void)? = nil
                if let chunk = b.chunk {
                    onStored = { ok in
                        // No ack for a chunk that was not stored: the client resends it.
                        guard ok else { return }
                        channel.writeAndFlush(ByteBuffer(bytes: ForwardDecoder.ack(chunk)), promise: nil)
                    }
                }
                sink.submit(b.entries, .forward, onStored: onStored)
            }
            sink.pushBack(channel)
        }
    }
}
