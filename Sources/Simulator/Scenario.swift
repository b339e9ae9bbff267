import Foundation
import ReviewEngine

import Yams

/// A synthetic community and its timeline. Every field has a default, so a scenario file only states what
/// makes it different (see scenarios/*.yaml).
public struct Scenario: Sendable, Codable {
    public var name = "unnamed"
    public var description = ""
    public var seed: UInt64 = 1
    /// Comments arriving over the run.
    public var comments = 100_000
    public var commentsPerDay = 1_000.0
    public var users = 5_000
    public var articlesPerDay = 20.0
    /// Comments go to articles published within this many days.
    public var articleLifetimeDays = 2.0

    /// Shares of comments taking viewpoint A, viewpoint B, or neither.
    public var viewpointA = 0.45
    public var viewpointB = 0.35

    // Reviewers (shares of users; honest reviewers are the rest).
    /// Honest reviewers' accuracy is drawn uniformly from this range, per person.
    public var honestAccuracyMin = 0.85
    public var honestAccuracyMax = 0.97
    /// Lazy reviewers vote at random.
    public var lazyShare = 0.15
    /// Brigade members vote "uncivil" on `brigadeRate` of the civil comments of viewpoint B (honest otherwise).
    public var brigadeShare = 0.0
    public var brigadeRate = 0.9
    /// Approvers of abuse call `approverRate` of uncivil comments civil (honest otherwise). Trolls review so too.
    public var approverShare = 0.0
    public var approverRate = 0.9
    /// Trolls write most uncivil comments.
    public var trollShare = 0.05
    /// How much more often a troll comments than anyone else.
    public var trollActivity = 3.0

    // Comments.
    /// Share of comments that are uncivil, and the share of those written by trolls.
    public var uncivilShare = 0.08
    public var trollShareOfUncivil = 0.8
    /// Pre-screen scores: logit of the score is normal with these means and spread.
    public var preScreenCivilMean = -3.0
    public var preScreenUncivilMean = -0.8
    public var preScreenSpread = 1.2
    /// Chance the author of an uncivil comment rates it uncivil (a troll, a regular author), and of a civil one.
    public var selfAdmitTroll = 0.05
    public var selfAdmitRegular = 0.4
    public var selfFalseAlarm = 0.01

    /// Chance a trusted author still reviews three comments (reviewing is optional for them).
    public var trustedReviewRate = 0.5
    /// Chance a commenter gives the optional extra review the engine asks for when the queue is long.
    public var extraReviewRate = 0.5
    /// Minutes until a moderator looks at a withheld comment.
    public var moderatorDelayMinutes = 60.0
    /// Refit the engine after this many settled comments, over at most `refitWindow` of the latest.
    public var refitEvery = 5_000
    public var refitWindow = 20_000

    /// An abuse wave: from `waveStartDay` for `waveDays`, this share of comments come from trolls.
    public var waveStartDay = 0.0
    public var waveDays = 0.0
    public var waveTrollCommentShare = 0.0

    /// Policy overrides (any `Settings` field by name), e.g. `maximumWait: 86400`.
    public var settings = SettingsOverrides()

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, description, seed, comments, commentsPerDay, users, articlesPerDay, articleLifetimeDays
        case viewpointA, viewpointB, honestAccuracyMin, honestAccuracyMax, lazyShare, brigadeShare, brigadeRate
        case approverShare, approverRate, trollShare, trollActivity, uncivilShare, trollShareOfUncivil
        case preScreenCivilMean, preScreenUncivilMean, preScreenSpread, selfAdmitTroll, selfAdmitRegular
        case selfFalseAlarm, trustedReviewRate, extraReviewRate, moderatorDelayMinutes, refitEvery, refitWindow
        case waveStartDay, waveDays, waveTrollCommentShare, settings
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let unknown = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
            .filter { CodingKeys(stringValue: $0) == nil }
        if !unknown.isEmpty {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown scenario keys: \(unknown.joined(separator: ", "))"))
        }
        func v<T: Decodable>(_ key: CodingKeys, _ current: T) throws -> T { try c.decodeIfPresent(T.self, forKey: key) ?? current }
        name = try v(.name, name)
        description = try v(.description, description)
        seed = try v(.seed, seed)
        comments = try v(.comments, comments)
        commentsPerDay = try v(.commentsPerDay, commentsPerDay)
        users = try v(.users, users)
        articlesPerDay = try v(.articlesPerDay, articlesPerDay)
        articleLifetimeDays = try v(.articleLifetimeDays, articleLifetimeDays)
        viewpointA = try v(.viewpointA, viewpointA)
        viewpointB = try v(.viewpointB, viewpointB)
        honestAccuracyMin = try v(.honestAccuracyMin, honestAccuracyMin)
        honestAccuracyMax = try v(.honestAccuracyMax, honestAccuracyMax)
        lazyShare = try v(.lazyShare, lazyShare)
        brigadeShare = try v(.brigadeShare, brigadeShare)
        brigadeRate = try v(.brigadeRate, brigadeRate)
        approverShare = try v(.approverShare, approverShare)
        approverRate = try v(.approverRate, approverRate)
        trollShare = try v(.trollShare, trollShare)
        trollActivity = try v(.trollActivity, trollActivity)
        uncivilShare = try v(.uncivilShare, uncivilShare)
        trollShareOfUncivil = try v(.trollShareOfUncivil, trollShareOfUncivil)
        preScreenCivilMean = try v(.preScreenCivilMean, preScreenCivilMean)
        preScreenUncivilMean = try v(.preScreenUncivilMean, preScreenUncivilMean)
        preScreenSpread = try v(.preScreenSpread, preScreenSpread)
        selfAdmitTroll = try v(.selfAdmitTroll, selfAdmitTroll)
        selfAdmitRegular = try v(.selfAdmitRegular, selfAdmitRegular)
        selfFalseAlarm = try v(.selfFalseAlarm, selfFalseAlarm)
        trustedReviewRate = try v(.trustedReviewRate, trustedReviewRate)
        extraReviewRate = try v(.extraReviewRate, extraReviewRate)
        moderatorDelayMinutes = try v(.moderatorDelayMinutes, moderatorDelayMinutes)
        refitEvery = try v(.refitEvery, refitEvery)
        refitWindow = try v(.refitWindow, refitWindow)
        waveStartDay = try v(.waveStartDay, waveStartDay)
        waveDays = try v(.waveDays, waveDays)
        waveTrollCommentShare = try v(.waveTrollCommentShare, waveTrollCommentShare)
        settings = try v(.settings, settings)
    }

    /// Reads a scenario from JSON (`.json`) or YAML (anything else).
    public static func load(path: String) throws -> Scenario {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        if path.lowercased().hasSuffix(".json") {
            return try JSONDecoder().decode(Scenario.self, from: Data(text.utf8))
        }
        return try YAMLDecoder().decode(Scenario.self, from: text)
    }

    /// The policy the engine runs with: defaults plus this scenario's overrides.
    public var engineSettings: Settings { settings.applied(to: Settings()) }

    /// Checks that shares add up and ranges make sense.
    public func validate() throws {
        func fail(_ m: String) throws { throw ScenarioError.invalid("\(name): \(m)") }
        if comments <= 0 || users < 10 || commentsPerDay <= 0 { try fail("comments, users and commentsPerDay must be positive (users ≥ 10)") }
        if lazyShare + brigadeShare + approverShare + trollShare >= 1 { try fail("reviewer shares leave no honest reviewers") }
        if viewpointA + viewpointB > 1 { try fail("viewpoint shares exceed 1") }
        if honestAccuracyMin > honestAccuracyMax || honestAccuracyMin < 0.5 { try fail("honest accuracy range") }
        if uncivilShare <= 0 || uncivilShare >= 0.5 { try fail("uncivilShare must be in (0, 0.5)") }
    }
}

public enum ScenarioError: Error, CustomStringConvertible {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let m): "invalid scenario: \(m)" }
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Overrides of the engine's `Settings` that a scenario may state. Times are in seconds.
public struct SettingsOverrides: Sendable, Codable {
    public var publishAtMost: Double?
    public var withholdAtLeast: Double?
    public var minimumReviews: Int?
    public var maximumReviews: Int?
    public var maximumWait: Double?
    public var auditShare: Double?
    public var maximumAuditShare: Double?
    public var weighEvidence: Bool?
    public var auditShareUnderWatch: Double?
    public var spareRandomVoters: Bool?
    public var bridging: Bool?
    public var trustAfterPublished: Int?
    public var muteBelowAccuracy: Double?
    public var warnBelowAccuracy: Double?
    public var provenAfterJudged: Double?
    public var auditShareOnProbation: Double?
    public var trustedHoldAbove: Double?
    public var assumedLean: Double?
    public var urgentAfterWaitShare: Double?
    public var approverSensitivity: Double?
    public var askExtraReviewWhenWaiting: Int?
    public var auditShareUntilCleared: Double?
    public var muteOnRandomEvidence: Double?
    public var withholdOnOneUncivilVoteAtLeast: Double?
    public var publishNearDeadlineAtMost: Double?
    public var relaxPublishAfterWaitShare: Double?
    public var auditWeight: Double?
    public var priceAuditsByValue: Bool?
    public var lowValueAuditReserve: Double?
    public var priceApproverAudits: Bool?
    public var maximumExtraReviews: Int?

    public init() {}

    public func applied(to base: Settings) -> Settings {
        var s = base
        if let v = publishAtMost { s.publishAtMost = v }
        if let v = withholdAtLeast { s.withholdAtLeast = v }
        if let v = minimumReviews { s.minimumReviews = v }
        if let v = maximumReviews { s.maximumReviews = v }
        if let v = maximumWait { s.maximumWait = v }
        if let v = auditShare { s.auditShare = v }
        if let v = maximumAuditShare { s.maximumAuditShare = v }
        if let v = priceAuditsByValue { s.priceAuditsByValue = v }
        if let v = lowValueAuditReserve { s.lowValueAuditReserve = v }
        if let v = priceApproverAudits { s.priceApproverAudits = v }
        if let v = maximumExtraReviews { s.maximumExtraReviews = v }
        if let v = weighEvidence { s.weighEvidence = v }
        if let v = auditShareUnderWatch { s.auditShareUnderWatch = v }
        if let v = spareRandomVoters { s.spareRandomVoters = v }
        if let v = bridging { s.bridging = v }
        if let v = trustAfterPublished { s.trustAfterPublished = v }
        if let v = muteBelowAccuracy { s.muteBelowAccuracy = v }
        if let v = warnBelowAccuracy { s.warnBelowAccuracy = v }
        if let v = provenAfterJudged { s.provenAfterJudged = v }
        if let v = auditShareOnProbation { s.auditShareOnProbation = v }
        if let v = trustedHoldAbove { s.trustedHoldAbove = v }
        if let v = assumedLean { s.assumedLean = v }
        if let v = urgentAfterWaitShare { s.urgentAfterWaitShare = v }
        if let v = approverSensitivity { s.approverSensitivity = v }
        if let v = askExtraReviewWhenWaiting { s.askExtraReviewWhenWaiting = v }
        if let v = auditShareUntilCleared { s.auditShareUntilCleared = v }
        if let v = muteOnRandomEvidence { s.muteOnRandomEvidence = v }
        if let v = withholdOnOneUncivilVoteAtLeast { s.withholdOnOneUncivilVoteAtLeast = v }
        if let v = publishNearDeadlineAtMost { s.publishNearDeadlineAtMost = v }
        if let v = relaxPublishAfterWaitShare { s.relaxPublishAfterWaitShare = v }
        if let v = auditWeight { s.auditWeight = v }
        return s
    }
}
