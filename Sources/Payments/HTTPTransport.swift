import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A request to a provider's API.
public struct OutgoingRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(method: String, url: String, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

public struct IncomingResponse: Sendable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// How provider clients reach the network; the AsyncHTTPClient one is used in production and in tests against
/// the loopback stand-ins.
public protocol HTTPTransport: Sendable {
    func send(_ request: OutgoingRequest) async throws -> IncomingResponse
}

public struct AsyncHTTPTransport: HTTPTransport {
    public let client: HTTPClient
    public var timeout: TimeAmount
    public var maximumResponseBytes: Int

    public init(client: HTTPClient = .shared, timeout: TimeAmount = .seconds(20), maximumResponseBytes: Int = 1 << 20) {
        self.client = client
        self.timeout = timeout
        self.maximumResponseBytes = maximumResponseBytes
    }

    public func send(_ request: OutgoingRequest) async throws -> IncomingResponse {
        var r = HTTPClientRequest(url: request.url)
        r.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { r.headers.add(name: name, value: value) }
        if !request.body.isEmpty || request.method == "POST" {
            r.body = .bytes(ByteBuffer(bytes: request.body))
        }
        do {
            let response = try await client.execute(r, timeout: timeout)
            let body = try await response.body.collect(upTo: maximumResponseBytes)
            return IncomingResponse(status: Int(response.status.code), body: Array(buffer: body))
        } catch {
            throw PaymentError.transport(String(describing: type(of: error)))
        }
    }
}

extension HTTPTransport {
    /// Sends, and sends the very same request again (same idempotency key) after a connection failure, a 409
    /// from a concurrent idempotent request, a 429 or a 5xx: the provider applies it once.
    func sendRetrying(_ request: OutgoingRequest, attempts: Int, backoff: Duration) async throws -> IncomingResponse {
        var last: IncomingResponse?
        for attempt in 1...max(1, attempts) {
            do {
                let response = try await send(request)
                if response.status == 409 || response.status == 429 || response.status >= 500, attempt < attempts {
                    last = response
                    try await Task.sleep(for: backoff * attempt)
                    continue
                }
                return response
            } catch let error as PaymentError where error.isTemporary && attempt < attempts {
                try await Task.sleep(for: backoff * attempt)
            }
        }
        if let last { return last }
        throw PaymentError.transport("no response after \(attempts) attempts")
    }
}
