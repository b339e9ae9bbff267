import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import QuorumWeb
import ServiceLifecycle

extension CommentRoutes {
    /// `GET /comments/live?articles=a,b`: one stream for every article a browser shows (its tabs share it).
    func liveForArticles(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let list = request.uri.queryParameters["articles"].map(String.init) ?? ""
        let slugs = list.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !slugs.isEmpty, slugs.allSatisfy(Self.isArticleAddress) else {
            throw RequestError.badRequest("Give the articles to follow as articles=SLUG,SLUG (article addresses).", code: "invalid_articles")
        }
        let limit = site.configuration.liveStreams.maximumArticles
        guard slugs.count <= limit else {
            throw RequestError.badRequest("One stream follows at most \(limit) articles.", code: "too_many_articles")
        }
        return try await liveStream(slugs: Set(slugs), context)
    }

    /// An article's slug as the site makes them: lower-case letters, digits and hyphens.
    static func isArticleAddress(_ slug: String) -> Bool {
        (1...120).contains(slug.utf8.count) && slug.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 45 }
    }

    /// Server-Sent Events: one `comment` event per change to these articles' comments (`data` names the comment,
    /// its status and its article); the page's script then reloads that thread. A comment line every
    /// `heartbeat` keeps proxies from closing the stream; a write that fails, or the client closing its end, ends it.
    func liveStream(slugs: Set<String>, _ context: QuorumContext) async throws -> Response {
        let settings = site.configuration.liveStreams
        let client = context.remoteIP ?? "unknown"
        guard comments.events.admitStream(client: client, limit: settings.perClient) else {
            throw LiveStreamRefused()
        }
        // Counted until the response (and with it this ticket) is gone, whether or not its body ever ran.
        let ticket = LiveStreamTicket(events: comments.events, client: client)
        let events = comments.events.listen(slugs: slugs)
        // Changes and heartbeats go through one stream, so a single writer sends both.
        let (chunks, input) = AsyncStream.makeStream(of: String.self)
        let channel = context.channel
        let body = ResponseBody { writer in
            let pump = Task {
                for await event in events where event.status == .published || event.status == .withheld || event.status == .deleted {
                    input.yield("event: comment\ndata: {\"id\":\(event.commentID),\"status\":\"\(event.status.rawValue)\",\"slug\":\"\(event.slug)\"}\n\n")
                }
                input.finish()
            }
            let beat = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: settings.heartbeat)
                    input.yield(":\n\n")
                }
            }
            defer {
                pump.cancel()
                beat.cancel()
                withExtendedLifetime(ticket) {}
            }
            if let channel { try? await StreamCloseWatcher.install(on: channel) { input.finish() } }
            try await writer.write(ByteBuffer(string: "retry: 5000\n: listening\n\n"))
            // A stream never ends by itself: on shutdown it is closed so the server can stop (browsers reconnect).
            try await withGracefulShutdownHandler {
                for await chunk in chunks { try await writer.write(ByteBuffer(string: chunk)) }
            } onGracefulShutdown: {
                input.finish()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [
            .contentType: "text/event-stream", .cacheControl: "no-store", HTTPField.Name("X-Accel-Buffering")!: "no",
        ], body: body)
    }
}

/// One counted stream; its end (however it comes) gives the client's place back.
final class LiveStreamTicket: Sendable {
    let events: CommentEvents
    let client: String
    init(events: CommentEvents, client: String) {
        self.events = events
        self.client = client
    }
    deinit { events.releaseStream(client: client) }
}

/// A client with too many streams open: 429, and when to try again.
struct LiveStreamRefused: RetryLaterError {
    var status: HTTPResponse.Status { .tooManyRequests }
    var code: String { "too_many_streams" }
    var message: String { "Too many live streams are open from this address; try again in a minute." }
    var retryAfterSeconds: Int { 60 }
}

/// Ends a stream as soon as its client closes the connection. The server allows half-closed connections, so a
/// browser that goes away only closes its side: without this, the stream would be noticed only when a write
/// fails (the next heartbeat or the one after). First in the pipeline, it passes everything on untouched.
final class StreamCloseWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    private let onClose: @Sendable () -> Void

    init(onClose: @escaping @Sendable () -> Void) { self.onClose = onClose }

    static func install(on channel: any Channel, onClose: @escaping @Sendable () -> Void) async throws {
        try await channel.eventLoop.submit {
            guard channel.isActive else { return onClose() }
            try channel.pipeline.syncOperations.addHandler(StreamCloseWatcher(onClose: onClose), position: .first)
        }.get()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { onClose() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        onClose()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        onClose()
        context.fireErrorCaught(error)
    }
}
