import AsyncHTTPClient
import Foundation
import NIOCore
import QuorumBus
import QuorumMail
import QuorumStore

import QuorumWeb

/// Why `PerspectiveScorer` could not score a comment. None of them carries the API key.
public enum PerspectiveError: Error, Equatable, CustomStringConvertible {
    /// No answer within the scorer's timeout.
    case timeout
    /// The service answered with a status other than 200 (e.g. 400 bad request, 403 bad key, 429 quota).
    case badStatus(Int, message: String)
    /// A 200 answer without a usable `attributeScores.TOXICITY.summaryScore.value` between 0 and 1.
    case malformedResponse(String)
    /// The connection failed (refused, reset, DNS, TLS).
    case transport(String)
    /// The configured endpoint is not an http(s) URL.
    case invalidEndpoint(String)

    public var description: String {
        switch self {
        case .timeout: "Perspective did not answer in time"
        case .badStatus(let status, let message):
            "Perspective answered HTTP \(status)" + (message.isEmpty ? "" : ": \(message)")
        case .malformedResponse(let why): "Perspective's answer was malformed: \(why)"
        case .transport(let why): "could not reach Perspective: \(why)"
        case .invalidEndpoint(let endpoint): "invalid Perspective endpoint \(endpoint)"
        }
    }
}

/// A toxicity scorer speaking Google Perspective's `comments:analyze` API (or any service that speaks
/// the same format): POSTs `{"comment":{"text":…},"languages":["en"],"requestedAttributes":{"TOXICITY":{}}}`
/// to the endpoint with the API key as `?key=`, and reads `attributeScores.TOXICITY.summaryScore.value`.
///
/// It throws `PerspectiveError` on a timeout, a non-200 status or a malformed answer; put it in a
/// `FallbackToxicityScorer` in front of `LocalToxicityScorer` so an outage doesn't stop commenting.
public struct PerspectiveScorer: ToxicityScorer {
    public static let defaultEndpoint = QuorumConfiguration.defaultPerspectiveEndpoint

    public let endpoint: String
    public let timeout: Duration
    public let languages: [String]
    let apiKey: String
    let httpClient: HTTPClient

    /// - Parameters:
    ///   - apiKey: sent as the `key` query parameter, never logged or put in an error.
    ///   - endpoint: the full `comments:analyze` URL.
    ///   - timeout: for the whole exchange; Perspective usually answers in well under a second.
    ///   - languages: the comment's languages, as Perspective expects them.
    ///   - httpClient: defaults to the process-wide shared client.
    public init(
        apiKey: String,
        endpoint: String = PerspectiveScorer.defaultEndpoint,
        timeout: Duration = .seconds(2),
        languages: [String] = ["en"],
        httpClient: HTTPClient = .shared
    ) {
        self.apiKey = apiKey
        self.endpoint = endpoint
        self.timeout = timeout
        self.languages = languages
        self.httpClient = httpClient
    }

    // MARK: wire format

    struct AnalyzeRequest: Codable, Equatable {
        struct Comment: Codable, Equatable { var text: String }
        struct Attribute: Codable, Equatable {}
        var comment: Comment
        var languages: [String]
        var requestedAttributes: [String: Attribute]
    }

    struct AnalyzeResponse: Codable {
        struct AttributeScore: Codable {
            struct SummaryScore: Codable {
                var value: Double
                var type: String?
            }
            var summaryScore: SummaryScore
        }
        var attributeScores: [String: AttributeScore]
        var languages: [String]?
    }

    static let maxResponseBytes = 1 << 20

    func requestURL() throws -> String {
        guard var components = URLComponents(string: endpoint),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            components.host?.isEmpty == false
        else {
            throw PerspectiveError.invalidEndpoint(endpoint)
        }
        var items = components.queryItems ?? []
        items.append(URLQueryItem(name: "key", value: apiKey))
        components.queryItems = items
        // URLComponents leaves "+" alone in a query; a literal plus would be read as a space.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        guard let url = components.string else { throw PerspectiveError.invalidEndpoint(endpoint) }
        return url
    }

    public func score(_ text: String) async throws -> Double {
        let body = AnalyzeRequest(
            comment: .init(text: text),
            languages: languages,
            requestedAttributes: ["TOXICITY": .init()]
        )
        var request = HTTPClientRequest(url: try requestURL())
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))

        let deadline = NIODeadline.now() + TimeAmount.nanoseconds(Self.nanoseconds(timeout))
        let bytes: ByteBuffer
        let status: Int
        do {
            let response = try await httpClient.execute(request, deadline: deadline)
            status = Int(response.status.code)
            bytes = try await response.body.collect(upTo: Self.maxResponseBytes)
        } catch let error as HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .getConnectionFromPoolTimeout, .writeTimeout:
                throw PerspectiveError.timeout
            default:
                throw PerspectiveError.transport("\(error)")
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as NIOTooManyBytesError {
            throw PerspectiveError.malformedResponse("answer longer than \(Self.maxResponseBytes) bytes (\(error))")
        } catch {
            throw PerspectiveError.transport("\(error)")
        }

        guard status == 200 else {
            throw PerspectiveError.badStatus(status, message: Self.errorMessage(in: bytes))
        }
        return try Self.parseScore(bytes)
    }

    static func parseScore(_ bytes: ByteBuffer) throws -> Double {
        let decoded: AnalyzeResponse
        do {
            decoded = try JSONDecoder().decode(AnalyzeResponse.self, from: Data(bytes.readableBytesView))
        } catch {
            throw PerspectiveError.malformedResponse("no attributeScores.TOXICITY.summaryScore.value")
        }
        guard let value = decoded.attributeScores["TOXICITY"]?.summaryScore.value else {
            throw PerspectiveError.malformedResponse("no TOXICITY score")
        }
        guard value.isFinite, (0...1).contains(value) else {
            throw PerspectiveError.malformedResponse("TOXICITY score \(value) is not between 0 and 1")
        }
        return value
    }

    /// Perspective's errors look like `{"error":{"code":400,"message":"…","status":"INVALID_ARGUMENT"}}`.
    static func errorMessage(in bytes: ByteBuffer) -> String {
        struct Envelope: Decodable {
            struct Body: Decodable { var message: String? }
            var error: Body?
        }
        let data = Data(bytes.readableBytesView)
        if let message = (try? JSONDecoder().decode(Envelope.self, from: data))?.error?.message {
            return String(message.prefix(300))
        }
        return String(decoding: data.prefix(300), as: UTF8.self)
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
