import Foundation
import NIOCore
import NIOPosix
import NIOSSL

import QuorumStore

/// Splits the server's byte stream into lines and lines into replies ("250-first", "250 last"),
/// and hands each reply to whoever waits for it.
///
/// Every method runs on the channel's event loop: the pipeline calls it there, and `SMTPConnection`
/// only touches it through `eventLoop.submit`/`flatSubmit`. That is what makes the `@unchecked Sendable` sound.
final class SMTPReplyHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    /// A line longer than this without a line end is not SMTP (RFC 5321 allows 512 octets for a reply line).
    static let maximumLineLength = 4096

    private var buffer = ByteBuffer()
    private var code: Int?
    private var lines: [String] = []
    private var ready: [SMTPReply] = []
    private var waiter: EventLoopPromise<SMTPReply>?
    private var failure: Error?

    /// Bytes or replies received but not yet consumed. Must be empty when TLS starts after STARTTLS,
    /// otherwise plain-text data injected before the handshake would be read as if it had been encrypted.
    var hasUnreadInput: Bool { buffer.readableBytes > 0 || !ready.isEmpty || code != nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        do {
            while let line = nextLine() { try handle(line) }
            if buffer.readableBytes > Self.maximumLineLength {
                throw SMTPReplyHandler.Failure.malformed("line longer than \(Self.maximumLineLength) bytes")
            }
            buffer.discardReadBytes()
        } catch {
            fail(error)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(Failure.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        fail(error)
        context.close(promise: nil)
    }

    /// The next reply: one already received, or a promise completed when it arrives.
    func nextReply(_ promise: EventLoopPromise<SMTPReply>) {
        if !ready.isEmpty {
            promise.succeed(ready.removeFirst())
        } else if let failure {
            promise.fail(failure)
        } else {
            precondition(waiter == nil, "one SMTP command at a time")
            waiter = promise
        }
    }

    /// Ends the conversation: fails the waiting command and every later one with `error` (the first failure wins).
    func fail(_ error: Error) {
        if failure == nil { failure = error }
        if let waiter {
            self.waiter = nil
            waiter.fail(failure!)
        }
    }

    enum Failure: Error {
        case closed
        case malformed(String)
    }

    private func nextLine() -> String? {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let length = newline - buffer.readerIndex
        var bytes = buffer.readBytes(length: length + 1)!
        bytes.removeLast()
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func handle(_ line: String) throws {
        let utf8 = Array(line.utf8)
        guard utf8.count >= 3, utf8[0..<3].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let lineCode = Int(String(decoding: utf8[0..<3], as: UTF8.self))
        else {
            throw Failure.malformed("not a reply line: \(line.prefix(80))")
        }
        let separator = utf8.count > 3 ? utf8[3] : UInt8(ascii: " ")
        guard separator == UInt8(ascii: " ") || separator == UInt8(ascii: "-") else {
            throw Failure.malformed("not a reply line: \(line.prefix(80))")
        }
        if let code, code != lineCode {
            throw Failure.malformed("reply code changed within a multi-line reply (\(code), \(lineCode))")
        }
        code = lineCode
        lines.append(utf8.count > 4 ? String(decoding: utf8[4...], as: UTF8.self) : "")
        if separator == UInt8(ascii: " ") {
            let reply = SMTPReply(code: lineCode, lines: lines)
            code = nil
            lines = []
            if let waiter {
                self.waiter = nil
                waiter.succeed(reply)
            } else {
                ready.append(reply)
            }
        }
    }
}

/// One SMTP connection: write a command, wait for its reply (with the configured timeout), upgrade to TLS.
final class SMTPConnection: Sendable {
    let channel: Channel
    private let handler: SMTPReplyHandler
    private let timeout: TimeAmount

    private init(channel: Channel, handler: SMTPReplyHandler, timeout: TimeAmount) {
        self.channel = channel
        self.handler = handler
        self.timeout = timeout
    }

    static func connect(
        host: String, port: Int, timeout: Duration, tls: NIOSSLContext?, group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> SMTPConnection {
        let handler = SMTPReplyHandler()
        let amount = TimeAmount(timeout)
        let serverName = Self.serverName(for: host)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(amount)
            .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    }
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            throw SMTPError.connectionFailed(host: host, port: port, reason: Self.describe(error))
        }
        return SMTPConnection(channel: channel, handler: handler, timeout: amount)
    }

    /// Whether the peer is this machine (credentials may then travel without TLS).
    var isLoopback: Bool {
        guard let ip = channel.remoteAddress?.ipAddress else { return false }
        return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
    }

    /// Waits for the next reply (the greeting, or the answer to the last command).
    func reply(_ stage: SMTPStage) async throws -> SMTPReply {
        let handler = self.handler
        let channel = self.channel
        let timeout = self.timeout
        let future: EventLoopFuture<SMTPReply> = channel.eventLoop.flatSubmit {
            let promise = channel.eventLoop.makePromise(of: SMTPReply.self)
            let timer = channel.eventLoop.scheduleTask(in: timeout) {
                handler.fail(SMTPError.timeout(stage: stage))
                channel.close(promise: nil)
            }
            promise.futureResult.whenComplete { _ in timer.cancel() }
            handler.nextReply(promise)
            return promise.futureResult
        }
        do {
            return try await future.get()
        } catch {
            throw Self.map(error, stage: stage)
        }
    }

    /// Writes `bytes` and waits for the reply.
    func send(_ bytes: ByteBuffer, _ stage: SMTPStage) async throws -> SMTPReply {
        let handler = self.handler
        channel.writeAndFlush(bytes).whenFailure { error in handler.fail(error) }
        return try await reply(stage)
    }

    /// Writes one command line (CRLF added) and waits for the reply.
    func command(_ line: String, _ stage: SMTPStage) async throws -> SMTPReply {
        try await send(ByteBuffer(string: line + "\r\n"), stage)
    }

    /// Starts TLS on the open connection (after the server's 220 to STARTTLS). The handshake runs
    /// while the next command (EHLO) waits for its reply, so its failures surface there.
    func startTLS(_ context: NIOSSLContext, host: String) async throws {
        let handler = self.handler
        let channel = self.channel
        let serverName = Self.serverName(for: host)
        do {
            try await channel.eventLoop.submit {
                guard !handler.hasUnreadInput else {
                    throw SMTPError.malformedReply(stage: .startTLS, reason: "data received before the TLS handshake")
                }
                let tls = try NIOSSLClientHandler(context: context, serverHostname: serverName)
                try channel.pipeline.syncOperations.addHandler(tls, position: .first)
            }.get()
        } catch {
            throw Self.map(error, stage: .startTLS)
        }
    }

    func close() async {
        try? await channel.close()
    }

    /// SNI and certificate names are host names; an IP literal is verified against the peer address instead.
    private static func serverName(for host: String) -> String? {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if (try? SocketAddress(ipAddress: bare, port: 0)) != nil { return nil }
        return bare
    }

    static func map(_ error: Error, stage: SMTPStage) -> SMTPError {
        switch error {
        case let error as SMTPError:
            return error
        case SMTPReplyHandler.Failure.closed:
            return .connectionLost(stage: stage, reason: "connection closed by the server")
        case SMTPReplyHandler.Failure.malformed(let reason):
            return .malformedReply(stage: stage, reason: reason)
        case is NIOSSLError, is BoringSSLError, is NIOSSLExtraError:
            return .tlsFailed(stage: stage, reason: describe(error))
        default:
            return .connectionLost(stage: stage, reason: describe(error))
        }
    }

    static func describe(_ error: Error) -> String {
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return describe(first.error) }
            if let dns = error.dnsAError ?? error.dnsAAAAError { return "cannot resolve host: \(dns)" }
        }
        if let error = error as? IOError { return error.description }
        if case ChannelError.connectTimeout = error { return "connect timed out" }
        return String(describing: error)
    }
}
