import Hummingbird
import NIOConcurrencyHelpers

/// Which methods each routed address answers, read from the router once its routes are added, so that a
/// request for a known address with another method gets `405` and `Allow` (the router alone says 404, and the
/// CSRF check would refuse an unknown method before the router is asked).
public final class RouteMethods: Sendable {
    struct Pattern {
        /// Path segments; nil is a captured one (`:id`).
        let segments: [Substring?]
        var methods: Set<HTTPRequest.Method>
        var statics: Int { segments.count { $0 != nil } }
    }
    private let patterns = NIOLockedValueBox<[Pattern]>([])

    public init() {}

    /// Takes the router's routes (call after every route is added).
    public func load<Context>(_ router: Router<Context>) {
        var byPath: [String: Pattern] = [:]
        for route in router.routes {
            let key = route.path.description
            let segments = key.split(separator: "/").map { $0.hasPrefix("{") || $0.hasPrefix(":") ? nil : $0 }
            byPath[key, default: Pattern(segments: segments, methods: [])].methods.insert(route.method)
        }
        patterns.withLockedValue { $0 = Array(byPath.values) }
    }

    /// The methods of the most specific route matching `path` (static segments win over captures, as in the
    /// router), with HEAD wherever GET is; nil if no route matches.
    public func methods(for path: String) -> [HTTPRequest.Method]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        var best: (statics: Int, methods: Set<HTTPRequest.Method>)?
        patterns.withLockedValue { patterns in
            for pattern in patterns where pattern.segments.count == parts.count {
                guard zip(pattern.segments, parts).allSatisfy({ $0.0 == nil || $0.0 == $0.1 }) else { continue }
                if best == nil || pattern.statics > best!.statics {
                    best = (pattern.statics, pattern.methods)
                } else if pattern.statics == best!.statics {
                    best!.methods.formUnion(pattern.methods)
                }
            }
        }
        guard var methods = best?.methods else { return nil }
        if methods.contains(.get) { methods.insert(.head) }
        return methods.sorted { $0.rawValue < $1.rawValue }
    }
}

/// Answers a request for a routed address with a method it does not take: `405 Method Not Allowed` with
/// `Allow`. Sits inside the error middleware and before the session and CSRF checks. GET and HEAD go to the
/// router first (the common case costs nothing); other methods are checked before anything else runs.
package struct MethodNotAllowedMiddleware: RouterMiddleware {
    package typealias Context = QuorumContext
    let routes: RouteMethods

    package init(routes: RouteMethods) {
        self.routes = routes
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let method = request.method == .head ? .get : request.method
        guard method == .get else {
            if let allowed = routes.methods(for: request.uri.path), !allowed.contains(method) {
                throw RequestError.methodNotAllowed(allowed: allowed)
            }
            return try await next(request, context)
        }
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            if let allowed = routes.methods(for: request.uri.path), !allowed.contains(.get) {
                throw RequestError.methodNotAllowed(allowed: allowed)
            }
            throw error
        }
    }
}
