import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import QuorumBus
import QuorumMail

import QuorumStore

/// Answers page-cache hits on the connection's event loop, as soon as the request is decoded, before it
/// enters the application's asynchronous request path (router, middleware, tasks). A news site's hottest
/// request — an anonymous reader opening an article — then costs a dictionary lookup and one write, which is
/// what lets one Quorum instance serve a front-page story at a rate close to a static file server.
///
/// Only requests every reader gets the same answer to are taken (``PageCache/anonymousPage(method:path:headers:)``:
/// anonymous `GET`, no query string, page already rendered); the request must also leave the connection open.
/// Everything else is passed on untouched. HTTP/1.1 keeps responses in request order, so while a request passed
/// on is still being answered, later requests on the same connection are passed on too.
///
/// One instance per connection; it lives in the channel pipeline after the HTTP/1 codec
/// (`HTTP1Channel.Configuration.additionalChannelHandlers`), so it reads `HTTPRequestPart`s and writes
/// `HTTPResponsePart`s on the event loop only.
package final class CachedPageChannelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPRequestPart
    package typealias InboundOut = HTTPRequestPart
    package typealias OutboundIn = HTTPResponsePart
    package typealias OutboundOut = HTTPResponsePart

    private enum Current {
        /// Between requests.
        case idle
        /// The request being read was passed on to the application.
        case passing
        /// The request being read is answered here once it has been read to its end.
        case answering(HTTPResponse, ByteBuffer?)
    }

    private let cache: PageCache
    private var current = Current.idle
    /// Requests passed on whose response has not been written to its end yet.
    private var responsesOwed = 0
    private var needsFlush = false
    private var dated = DatedHeadCache<HTTPResponse>()

    private let installsWireTier: Bool

    /// `installsWireTier`: also put a ``CachedPageWireHandler`` at the front of the pipeline, answering from
    /// the request's bytes before they are decoded (the server does; unit tests of this tier alone do not).
    package init(cache: PageCache, installsWireTier: Bool = false) {
        self.cache = cache
        self.installsWireTier = installsWireTier
    }

    /// The decoder or codec failed on this connection: nothing more is answered here.
    private var broken = false

    /// Nothing is being read or answered on the connection: a request read now may be answered at once.
    var isIdle: Bool {
        if case .idle = current { return responsesOwed == 0 && !broken }
        return false
    }

    /// The wire tier goes right before the HTTP/1 handlers (the response encoder comes first, then the request
    /// decoder), after anything that decrypts, were it there: it reads and writes plain bytes.
    package func handlerAdded(context: ChannelHandlerContext) {
        guard installsWireTier else { return }
        let wire = CachedPageWireHandler(cache: cache, decoded: self)
        let pipeline = context.pipeline.syncOperations
        do {
            if let encoder = try? pipeline.handler(type: HTTPResponseEncoder.self) {
                try pipeline.addHandler(wire, position: .before(encoder))
            } else {
                try pipeline.addHandler(wire, position: .first)
            }
        } catch {
            // The pipeline is being torn down; the connection is closing anyway.
        }
    }

    /// A request the decoder refused is answered (with 400) by the application; until then, and after, nothing
    /// may overtake it.
    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        broken = true
        context.fireErrorCaught(error)
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            if isIdle, context.channel.isWritable, let answer = answer(to: request, peer: context.channel.remoteAddress) {
                current = .answering(answer.head, answer.body)
                return
            }
            current = .passing
            responsesOwed += 1
            context.fireChannelRead(data)
        case .body:
            // A GET's body (allowed, meaningless) is dropped with the request it belongs to.
            if case .answering = current { return }
            context.fireChannelRead(data)
        case .end:
            guard case .answering(let head, let body) = current else {
                current = .idle
                context.fireChannelRead(data)
                return
            }
            current = .idle
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            if let body { context.write(wrapOutboundOut(.body(body)), promise: nil) }
            context.write(wrapOutboundOut(.end(nil)), promise: nil)
            needsFlush = true
        }
    }

    /// Pipelined requests read together are answered with one flush.
    package func channelReadComplete(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), responsesOwed > 0 { responsesOwed -= 1 }
        context.write(data, promise: promise)
    }

    private func answer(to request: HTTPRequest, peer: SocketAddress?) -> (head: HTTPResponse, body: ByteBuffer?)? {
        guard let path = request.path, !path.utf8.contains(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "%") }) else {
            return nil
        }
        if let connection = request.headerFields[.connection], connection.lowercased().contains("close") { return nil }
        guard let page = cache.anonymousPage(method: request.method, path: Substring(path), headers: request.headerFields, peer: peer) else {
            return nil
        }
        let reply = page.reply(to: request.headerFields)
        return (dated.head(reply.head, of: page, build: { $0 }), reply.body)
    }
}

/// The last response head a connection wrote for a cached page, with its `Date`: rebuilt when the second, the
/// page or the status changes, so a connection asking for the same page again formats neither date nor
/// headers. `Head` is what the tier writes (a typed head, or its bytes).
struct DatedHeadCache<Head> {
    private var last: (second: Int, etag: String, lastModified: String, status: HTTPResponse.Status, gzip: Bool, head: Head)?

    mutating func head(_ response: HTTPResponse, of page: CachedPage, build: (HTTPResponse) -> Head) -> Head {
        let second = time(nil)
        let gzip = response.headerFields[.eTag] == page.gzipETag
        if let last, last.second == second, last.status == response.status, last.gzip == gzip, last.etag == page.etag,
           last.lastModified == page.lastModified
        {
            return last.head
        }
        var dated = response
        dated.headerFields[.date] = HTTPDate.format(Timestamp(milliseconds: Int64(second) * 1000))
        let head = build(dated)
        last = (second, page.etag, page.lastModified, response.status, gzip, head)
        return head
    }
}
