import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

/// A scorer that answers a fixed score, or throws.
private struct FixedScorer: ToxicityScorer {
    var value: Double
    var error: (any Error)?

    init(_ value: Double, error: (any Error)? = nil) {
        self.value = value
        self.error = error
    }

    func score(_ text: String) async throws -> Double {
        if let error { throw error }
        return value
    }
}

private struct ScorerDown: Error {}

private let now = Date(timeIntervalSince1970: 1_750_000_000)
private let nobody = PreScreenAuthor()

private func screen(
    _ text: String,
    settings: PreScreenSettings = .default,
    author: PreScreenAuthor = PreScreenAuthor(),
    score: Double = 0.05
) async throws -> PreScreenDecision {
    try await PreScreen(settings: settings, scorer: FixedScorer(score)).screen(text, author: author, now: now)
}

private func refusalCode(_ decision: PreScreenDecision) -> PreScreenRefusalCode? {
    if case .refuse(let refusal) = decision { return refusal.code }
    return nil
}

// MARK: - Rules

@Suite("Pre-screen rules")
struct PreScreenRuleTests {
    @Test("a civil comment passes with its score")
    func civilPasses() async throws {
        let decision = try await screen("I disagree with the minister, and the figures show why.", score: 0.12)
        #expect(decision == .pass(score: 0.12))
        #expect(decision.score == 0.12)
    }

    @Test(
        "empty comments are refused",
        arguments: ["", "   ", "\n\t \n", "\u{200B}\u{200B}", " \u{FEFF} "]
    )
    func empty(text: String) async throws {
        let decision = try await screen(text)
        #expect(refusalCode(decision) == .empty)
    }

    @Test("the length limit is 3,000 characters by default, counted as characters not bytes")
    func tooLong() async throws {
        #expect(try await screen(String(repeating: "é", count: 3_000)) == .pass(score: 0.05))
        let decision = try await screen(String(repeating: "a", count: 3_001))
        guard case .refuse(let refusal) = decision else {
            Issue.record("expected a refusal, got \(decision)")
            return
        }
        #expect(refusal.code == .tooLong)
        #expect(refusal.message.contains("3,001"))
        #expect(refusal.message.contains("3,000"))
        var small = PreScreenSettings()
        small.maxCharacters = 10
        #expect(refusalCode(try await screen("eleven char", settings: small)) == .tooLong)
    }

    @Test("one comment per 30 seconds: refused with the seconds to wait")
    func tooFrequent() async throws {
        let recent = PreScreenAuthor(lastCommentAt: now.addingTimeInterval(-10.5))
        let decision = try await screen("Another thought on the budget.", author: recent)
        guard case .refuse(let refusal) = decision else {
            Issue.record("expected a refusal, got \(decision)")
            return
        }
        #expect(refusal.code == .tooFrequent)
        #expect(refusal.retryAfterSeconds == 20)
        #expect(refusal.message.contains("20 seconds"))

        let oneSecond = PreScreenAuthor(lastCommentAt: now.addingTimeInterval(-29.5))
        guard case .refuse(let almost) = try await screen("x y z", author: oneSecond) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(almost.retryAfterSeconds == 1)
        #expect(almost.message.contains("1 second "))

        let longAgo = PreScreenAuthor(lastCommentAt: now.addingTimeInterval(-30))
        #expect(try await screen("Another thought on the budget.", author: longAgo) == .pass(score: 0.05))
    }

    @Test("without a last-comment time, the newest recent comment counts; the limit is a setting")
    func tooFrequentFromRecentComments() async throws {
        let author = PreScreenAuthor(recentComments: [
            .init(text: "first", postedAt: now.addingTimeInterval(-3_600)),
            .init(text: "second", postedAt: now.addingTimeInterval(-5)),
        ])
        #expect(refusalCode(try await screen("third", author: author)) == .tooFrequent)
        var relaxed = PreScreenSettings()
        relaxed.minSecondsBetweenComments = 0
        #expect(try await screen("third", settings: relaxed, author: author) == .pass(score: 0.05))
        var strict = PreScreenSettings()
        strict.minSecondsBetweenComments = 120
        let decision = try await screen("third", settings: strict, author: PreScreenAuthor(lastCommentAt: now.addingTimeInterval(-60)))
        guard case .refuse(let refusal) = decision else {
            Issue.record("expected a refusal")
            return
        }
        #expect(refusal.retryAfterSeconds == 60)
    }

    @Test("a duplicate of one's own recent comment is refused, ignoring case, spacing and punctuation")
    func duplicate() async throws {
        let author = PreScreenAuthor(
            recentComments: [.init(text: "Great article! Thanks, really useful.", postedAt: now.addingTimeInterval(-600))],
            lastCommentAt: now.addingTimeInterval(-600)
        )
        for text in [
            "Great article! Thanks, really useful.", "great article thanks really useful",
            "  GREAT   ARTICLE!!!  Thanks... really, useful ", "Gréat article — thanks; really useful?",
        ] {
            #expect(refusalCode(try await screen(text, author: author)) == .duplicate, "\(text)")
        }
        #expect(try await screen("Great article! Thanks, really useful. One question though.", author: author) == .pass(score: 0.05))
        // Older than the window: not a duplicate.
        let old = PreScreenAuthor(recentComments: [
            .init(text: "Great article! Thanks, really useful.", postedAt: now.addingTimeInterval(-8 * 24 * 3_600))
        ])
        #expect(try await screen("Great article! Thanks, really useful.", author: old) == .pass(score: 0.05))
        // Emoji-only comments are compared as written.
        let emoji = PreScreenAuthor(recentComments: [.init(text: "👏👏", postedAt: now.addingTimeInterval(-600))])
        #expect(refusalCode(try await screen("👏👏", author: emoji)) == .duplicate)
        #expect(try await screen("😡", author: emoji) == .pass(score: 0.05))
    }

    @Test("a banned word refuses with a message that says so and does not repeat the word")
    func bannedWordMessage() async throws {
        let settings = PreScreenSettings(bannedWords: ["wombatface"])
        let decision = try await screen("You are a total wombatface.", settings: settings)
        guard case .refuse(let refusal) = decision else {
            Issue.record("expected a refusal, got \(decision)")
            return
        }
        #expect(refusal.code == .bannedWord)
        #expect(refusal.message.contains("banned word"))
        #expect(!refusal.message.lowercased().contains("wombat"))
        #expect(!refusal.description.lowercased().contains("wombat"))
    }

    static let evasions = [
        "what the fuck", "What The FUCK", "fuuuuuck this", "f.u.c.k you", "f u c k you", "f-u-c-k off",
        "f_u_c_k", "F*CK", "f**k off", "fück", "ＦＵＣＫ", "fu\u{200B}ck", "fu\u{00AD}ck", "fucking hell",
        "absolute motherfucker", "c0ck", "c-o-c-k", "k1ll y0urself", "kill   yourself!", "KILL. YOURSELF.",
        "a$$", "@ss", "you're an a55", "just kys", "go k.y.s", "you tw@t", "what a sh1tbag",
    ]

    @Test("banned words are found through case, accents, repeats, leetspeak and separators", arguments: evasions)
    func bannedEvasions(text: String) async throws {
        let settings = PreScreenSettings(
            bannedWords: ["fuck*", "motherfucker", "cock", "kill yourself", "ass", "kys", "twat", "shitbag"]
        )
        #expect(refusalCode(try await screen(text, settings: settings)) == .bannedWord, "\(text)")
    }

    static let innocents = [
        "Scunthorpe United won on Saturday.", "The assassin was never caught.", "A first-class pass.",
        "As I said, the class was full.", "We had a cocktail at the Peacock.", "Shuttlecock sales are up.",
        "The bass player from Essex.", "Penistone and Middlesbrough.", "A skilled killer whale.",
        "He signed for 455 million.", "Assume nothing; assess everything.", "Cockburn is a surname.",
        "The analyst asked.", "the fuchsia flowers", "Hancock and Dickens", "I was 1 of 5 to vote",
        "kill the bill", "yourself", "a s a p please", "the U.S.A. and U.K.",
    ]

    @Test("innocent words that merely contain a banned word are left alone", arguments: innocents)
    func scunthorpe(text: String) async throws {
        let settings = PreScreenSettings(
            bannedWords: ["fuck", "cock", "cunt", "ass", "penis", "kill yourself", "dick", "anal", "tit"],
            suspectWords: []
        )
        #expect(try await screen(text, settings: settings) == .pass(score: 0.05), "\(text)")
    }

    @Test("suspect words hold for moderators, with the word as the reason, and the comment is still scored")
    func suspectHolds() async throws {
        let settings = PreScreenSettings(suspectWords: ["idiot*", "i know where you live"])
        let decision = try await screen("What an 1d1ot. And I know where you live.", settings: settings, score: 0.3)
        #expect(decision == .hold(reasons: [.suspectWord("idiot*"), .suspectWord("i know where you live")], score: 0.3))
        #expect(try await screen("Idiotically written", settings: PreScreenSettings(suspectWords: ["idiot"]), score: 0.3) == .pass(score: 0.3))
    }

    @Test("links: at most 2 by default; URLs and bare domains count")
    func links() async throws {
        #expect(TextChecks.linkCount(in: "see http://a.com and https://b.org/x?y=1") == 2)
        #expect(TextChecks.linkCount(in: "read example.com/path and www.foo.bar today") == 2)
        #expect(TextChecks.linkCount(in: "cheap-pills.co.za/buy, (news.example.org).") == 2)
        #expect(TextChecks.linkCount(in: "[a link](https://x.io/a) <https://y.io>") == 2)
        #expect(TextChecks.linkCount(in: "http://a.comhttp://b.com") == 2)
        #expect(TextChecks.linkCount(in: "e.g. the U.S. uses Node.js, see file.txt, 3.5 per cent, end.Then") == 0)
        #expect(TextChecks.linkCount(in: "write to editor@example.com") == 0)
        #expect(TextChecks.linkCount(in: "localhost:8080 and example.com:8080/x") == 1)

        #expect(try await screen("Sources: http://a.com and b.org") == .pass(score: 0.05))
        let three = "Sources: http://a.com, b.org and c.net/x"
        let decision = try await screen(three)
        guard case .refuse(let refusal) = decision else {
            Issue.record("expected a refusal, got \(decision)")
            return
        }
        #expect(refusal.code == .tooManyLinks)
        #expect(refusal.message.contains("3 links"))
        #expect(refusal.message.contains("at most 2"))
        var none = PreScreenSettings()
        none.maxLinks = 0
        #expect(refusalCode(try await screen("see a.com", settings: none)) == .tooManyLinks)
    }

    @Test("the toxicity score holds at the threshold, and refuses only when a refuse threshold is set")
    func toxicity() async throws {
        let settings = PreScreenSettings(suspectWords: [], toxicityHoldThreshold: 0.7)
        #expect(try await screen("hmm", settings: settings, score: 0.69) == .pass(score: 0.69))
        #expect(
            try await screen("hmm", settings: settings, score: 0.7)
                == .hold(reasons: [.toxicity(score: 0.7, threshold: 0.7)], score: 0.7)
        )
        #expect(try await screen("hmm", settings: settings, score: 0.99).score == 0.99)
        var refusing = settings
        refusing.toxicityRefuseThreshold = 0.95
        #expect(refusalCode(try await screen("hmm", settings: refusing, score: 0.96)) == .toxic)
        #expect(try await screen("hmm", settings: refusing, score: 0.9).score == 0.9)
        // A scorer answering nonsense is treated as toxic, never as civil.
        #expect(try await screen("hmm", settings: settings, score: .nan).score == 1)
        #expect(try await screen("hmm", settings: settings, score: -3).score == 0)
    }

    @Test("refusals come before scoring, in a fixed order")
    func order() async throws {
        let throwing = PreScreen(settings: PreScreenSettings(bannedWords: ["fuck"]), scorer: FixedScorer(0, error: ScorerDown()))
        let hurried = PreScreenAuthor(lastCommentAt: now.addingTimeInterval(-1))
        // refused without calling the scorer
        #expect(refusalCode(try await throwing.screen("fuck", author: hurried, now: now)) == .tooFrequent)
        #expect(refusalCode(try await throwing.screen("fuck http://a.com b.com c.com", author: nobody, now: now)) == .bannedWord)
        #expect(refusalCode(try await throwing.screen("", author: hurried, now: now)) == .empty)
        // the rules alone, synchronously
        #expect(throwing.checkRules("fine", author: nobody, now: now) == .proceed(holdReasons: []))
        // not refused: the scorer's error comes through
        await #expect(throws: ScorerDown.self) { try await throwing.screen("fine", author: nobody, now: now) }
    }

    @Test("a failing scorer falls back to the second one")
    func fallback() async throws {
        let scorer = FallbackToxicityScorer(primary: FixedScorer(0.9, error: ScorerDown()), fallback: FixedScorer(0.2))
        #expect(try await scorer.score("anything") == 0.2)
        let healthy = FallbackToxicityScorer(primary: FixedScorer(0.9), fallback: FixedScorer(0.2))
        #expect(try await healthy.score("anything") == 0.9)
    }

    @Test("settings round-trip as JSON and missing keys take their defaults")
    func settingsCodable() throws {
        var settings = PreScreenSettings()
        settings.bannedWords = ["a", "b c"]
        settings.toxicityRefuseThreshold = 0.97
        let data = try JSONEncoder().encode(settings)
        #expect(try JSONDecoder().decode(PreScreenSettings.self, from: data) == settings)
        #expect(try JSONDecoder().decode(PreScreenSettings.self, from: Data("{}".utf8)) == PreScreenSettings.default)
        let partial = try JSONDecoder().decode(PreScreenSettings.self, from: Data(#"{"maxLinks":5,"suspectWords":[]}"#.utf8))
        #expect(partial.maxLinks == 5)
        #expect(partial.suspectWords.isEmpty)
        #expect(partial.bannedWords == PreScreenSettings.defaultBannedWords)
        #expect(partial.maxCharacters == 3_000)
        #expect(partial.minSecondsBetweenComments == 30)
        #expect(partial.toxicityRefuseThreshold == nil)
    }

    @Test("the default lists refuse and hold what they should and pass ordinary criticism")
    func defaults() async throws {
        #expect(refusalCode(try await screen("f.u.c.k off")) == .bannedWord)
        #expect(refusalCode(try await screen("just k y s")) == .bannedWord)
        guard case .hold(let reasons, _) = try await screen("what a m0r0n") else {
            Issue.record("expected a hold")
            return
        }
        #expect(reasons == [.suspectWord("moron*")])
        for text in [
            "This policy will kill small businesses.", "The minister is wrong and the figures prove it.",
            "A stupid decision by a hopeless council.", "I'd hang the painting in the hall.",
            "Die-hard fans in Scunthorpe deserve better.",
        ] {
            #expect(try await screen(text) == .pass(score: 0.05), "\(text)")
        }
    }
}

// MARK: - Local scorer

@Suite("Local toxicity scorer")
struct LocalToxicityScorerTests {
    static func metrics(_ scores: [Double], _ labels: [Int], threshold: Double) -> (p: Double, r: Double, f1: Double, auc: Double) {
        var tp = 0.0, fp = 0.0, fn = 0.0
        for (s, l) in zip(scores, labels) {
            if s >= threshold, l == 1 { tp += 1 }
            if s >= threshold, l == 0 { fp += 1 }
            if s < threshold, l == 1 { fn += 1 }
        }
        let p = tp + fp > 0 ? tp / (tp + fp) : 0
        let r = tp + fn > 0 ? tp / (tp + fn) : 0
        let f1 = p + r > 0 ? 2 * p * r / (p + r) : 0
        let pos = zip(scores, labels).filter { $0.1 == 1 }.map(\.0)
        let neg = zip(scores, labels).filter { $0.1 == 0 }.map(\.0)
        var wins = 0.0
        for a in pos { for b in neg { wins += a > b ? 1 : a == b ? 0.5 : 0 } }
        return (p, r, f1, wins / Double(pos.count * neg.count))
    }

    @Test("the shipped weights reproduce the training script's scores on every held-out comment")
    func parityWithTrainingScript() async throws {
        #expect(ToxicityTestSplit.items.count >= 150)
        for item in ToxicityTestSplit.items {
            let score = try await LocalToxicityScorer().score(item.text)
            #expect(abs(score - item.expectedScore) < 1e-9, "\(item.text): \(score) vs \(item.expectedScore)")
        }
    }

    @Test("held-out precision, recall, F1 and ROC AUC stay at the documented numbers")
    func heldOutNumbers() async throws {
        let items = ToxicityTestSplit.items
        let scores = items.map { LocalToxicityScorer.score($0.text) }
        let m = Self.metrics(scores, items.map(\.label), threshold: ToxicityTestSplit.threshold)
        let tolerance = 0.01
        #expect(ToxicityTestSplit.threshold == LocalToxicityScorer.documentedThreshold)
        #expect(m.p >= ToxicityTestSplit.precision - tolerance, "precision \(m.p)")
        #expect(m.r >= ToxicityTestSplit.recall - tolerance, "recall \(m.r)")
        #expect(m.f1 >= ToxicityTestSplit.f1 - tolerance, "F1 \(m.f1)")
        #expect(m.auc >= ToxicityTestSplit.rocAUC - tolerance, "ROC AUC \(m.auc)")
        // The floor docs/toxicity.md promises whatever the retraining: better than a coin, by far.
        #expect(m.auc >= 0.9)
        #expect(m.f1 >= 0.8)
    }

    @Test("civil disagreement and harsh criticism score low on the held-out split")
    func civilScoresLow() {
        for category in ["civil-disagreement", "harsh-criticism"] {
            let items = ToxicityTestSplit.items.filter { $0.category == category }
            let scores = items.map { LocalToxicityScorer.score($0.text) }
            let mean = scores.reduce(0, +) / Double(scores.count)
            let flagged = scores.filter { $0 >= LocalToxicityScorer.documentedThreshold }.count
            #expect(mean < 0.2, "\(category) mean \(mean)")
            #expect(Double(flagged) <= 0.15 * Double(items.count), "\(category): \(flagged) of \(items.count)")
        }
    }

    @Test("scores are in 0…1 for any input, including empty and odd text")
    func bounds() {
        for text in ["", "!!!", "ÄÖÜ 日本語 🙂", String(repeating: "lol ", count: 2_000), "1234 5678", "$$$ @@@ ***"] {
            let s = LocalToxicityScorer.score(text)
            #expect(s >= 0 && s <= 1, "\(text.prefix(20)): \(s)")
        }
        #expect(LocalToxicityScorer.weights.count > 1_000)
    }

    @Test("features mirror the training script: leetspeak, repeats, apostrophes, edges")
    func tokens() {
        #expect(LocalToxicityScorer.tokens(of: "You're an ID10T!!! sooooo st00pid") == ["youre", "an", "idiot", "soo", "stoopid"])
        #expect(LocalToxicityScorer.tokens(of: "b!tch $hit f*cking @name 2024 $5") == ["bitch", "shit", "fcking", "name", "2024", "5"])
        #expect(LocalToxicityScorer.features(of: "STOP SHOUTING!!").isSuperset(of: ["f=caps", "f=!!", "w=stop", "b=stop shouting", "c=<st", "c=ing>"]))
    }
}

// MARK: - Perspective

/// A stand-in for Perspective's comments:analyze, checking what a real one would check.
private func fakePerspective() -> some ApplicationProtocol {
    let router = Router()
    router.post("/v1alpha1/comments:analyze") { request, context -> Response in
        func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
            Response(
                status: status,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: body))
            )
        }
        guard request.uri.queryParameters.get("key") == "test-key+1" else {
            return json(.forbidden, #"{"error":{"code":403,"message":"API key not valid. Please pass a valid API key.","status":"PERMISSION_DENIED"}}"#)
        }
        let buffer = try await request.body.collect(upTo: 1 << 16)
        let object = try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]
        guard let object, Set(object.keys) == ["comment", "languages", "requestedAttributes"],
            let comment = object["comment"] as? [String: Any], comment.count == 1,
            let text = comment["text"] as? String,
            object["languages"] as? [String] == ["en"],
            let attributes = object["requestedAttributes"] as? [String: Any], attributes.count == 1,
            let toxicity = attributes["TOXICITY"] as? [String: Any], toxicity.isEmpty,
            request.headers[.contentType]?.hasPrefix("application/json") == true
        else {
            return json(.badRequest, #"{"error":{"code":400,"message":"bad request body","status":"INVALID_ARGUMENT"}}"#)
        }
        switch text {
        case "slow":
            try await Task.sleep(for: .seconds(3))
            return json(.ok, #"{"attributeScores":{"TOXICITY":{"summaryScore":{"value":0.5,"type":"PROBABILITY"}}}}"#)
        case "broken": return json(.ok, #"{"attributeScores":{}}"#)
        case "not json": return json(.ok, "<html>oops</html>")
        case "out of range": return json(.ok, #"{"attributeScores":{"TOXICITY":{"summaryScore":{"value":7}}}}"#)
        case "server error": return json(.internalServerError, "")
        default:
            let value = text.lowercased().contains("idiot") ? 0.91 : 0.04
            return json(
                .ok,
                #"{"attributeScores":{"TOXICITY":{"spanScores":[],"summaryScore":{"value":\#(value),"type":"PROBABILITY"}}},"languages":["en"],"detectedLanguages":["en"]}"#
            )
        }
    }
    return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
}

@Suite("Perspective scorer")
struct PerspectiveScorerTests {
    static func scorer(port: Int, key: String = "test-key+1", timeout: Duration = .seconds(2)) -> PerspectiveScorer {
        PerspectiveScorer(
            apiKey: key,
            endpoint: "http://127.0.0.1:\(port)/v1alpha1/comments:analyze",
            timeout: timeout
        )
    }

    @Test("speaks comments:analyze: the request body, the key, and the score in the answer")
    func scores() async throws {
        try await fakePerspective().test(.live) { client in
            let port = try #require(client.port)
            #expect(try await Self.scorer(port: port).score("You idiot") == 0.91)
            #expect(try await Self.scorer(port: port).score("I see it differently. \"Quotes\" and ünïcödé.") == 0.04)
        }
    }

    @Test("a wrong key is a clear error with Perspective's message and without the key")
    func wrongKey() async throws {
        try await fakePerspective().test(.live) { client in
            let port = try #require(client.port)
            do {
                _ = try await Self.scorer(port: port, key: "secret-wrong-key").score("hello")
                Issue.record("expected an error")
            } catch let error as PerspectiveError {
                guard case .badStatus(403, let message) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(message.contains("API key not valid"))
                #expect(!"\(error)".contains("secret-wrong-key"))
            }
        }
    }

    @Test("a slow answer times out")
    func slow() async throws {
        try await fakePerspective().test(.live) { client in
            let port = try #require(client.port)
            let start = ContinuousClock.now
            await #expect(throws: PerspectiveError.timeout) {
                try await Self.scorer(port: port, timeout: .milliseconds(300)).score("slow")
            }
            #expect(ContinuousClock.now - start < .seconds(2))
        }
    }

    @Test("malformed and failed answers are clear errors", arguments: ["broken", "not json", "out of range", "server error"])
    func broken(text: String) async throws {
        try await fakePerspective().test(.live) { client in
            let port = try #require(client.port)
            do {
                _ = try await Self.scorer(port: port).score(text)
                Issue.record("expected an error for \(text)")
            } catch let error as PerspectiveError {
                switch (text, error) {
                case ("server error", .badStatus(500, _)): break
                case ("broken", .malformedResponse), ("not json", .malformedResponse), ("out of range", .malformedResponse): break
                default: Issue.record("unexpected \(error) for \(text)")
                }
            }
        }
    }

    @Test("nothing listening is a transport error, and the fallback scorer answers instead")
    func unreachableFallsBack() async throws {
        // Port 1 (tcpmux) has no listener: the connection is refused. (A port freed by another test could be
        // taken again at once by one of the fake servers running in parallel.)
        let perspective = Self.scorer(port: 1, timeout: .seconds(1))
        await #expect(throws: PerspectiveError.self) { try await perspective.score("hello") }
        let scorer = FallbackToxicityScorer(primary: perspective, fallback: LocalToxicityScorer())
        let score = try await scorer.score("Thanks, a fair and careful article.")
        #expect(score == LocalToxicityScorer.score("Thanks, a fair and careful article."))
        let screen = PreScreen(settings: .default, scorer: scorer)
        let decision = try await screen.screen("Thanks, a fair and careful article.", author: nobody, now: now)
        #expect(decision == .pass(score: score), "\(decision)")
    }

    @Test("an endpoint that is not http(s) is refused before any request")
    func invalidEndpoint() async {
        let scorer = PerspectiveScorer(apiKey: "k", endpoint: "ftp://example.com/x")
        await #expect(throws: PerspectiveError.invalidEndpoint("ftp://example.com/x")) { try await scorer.score("hi") }
    }
}
