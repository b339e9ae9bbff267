import Foundation
import Testing
@testable import MembershipEngine
@testable import Payments

/// Random histories delivered the way providers deliver them: late, twice, out of order, some forged, stale,
/// tampered or for the wrong amount, mixed with event types and customers nobody knows. Whatever arrives, the
/// memberships must end exactly where a plain in-order reading of the genuine events puts them.
@Suite struct ChaosTests {
    /// 10,000 per provider; QUORUM_CHAOS_SEQUENCES changes it (more for a soak, fewer while editing).
    static let sequences = ProcessInfo.processInfo.environment["QUORUM_CHAOS_SEQUENCES"].flatMap(Int.init) ?? 10_000
    let engine = Engine(settings: Settings(graceDays: 14, accessDuringGrace: true, renewalSlack: 3 * 86400))

    /// Something that truly happened, in provider-neutral terms.
    struct Happening {
        enum What {
            case checkout
            case paid(Money, periodEnd: Date)
            case failed(Money, periodEnd: Date)
            case cancelAtPeriodEnd
            case ended
            case refund(charge: String, total: Int64)
            case unknownType
        }

        var membership: String
        var time: Date
        var what: What
        var serial: Int
    }

    struct Member {
        var id: String
        var pledge: Pledge
        var opened: Date
    }

    /// A history for 1–3 memberships; times are whole days so PayFast's billing dates can carry them.
    static func history(_ rng: inout SeededRandom, seq: Int, provider: String) -> ([Member], [Happening]) {
        var members: [Member] = []
        var happenings: [Happening] = []
        var serial = 0
        func add(_ m: String, _ t: Date, _ w: Happening.What) {
            serial += 1
            happenings.append(Happening(membership: m, time: t, what: w, serial: serial))
        }
        for i in 0..<Int.random(in: 1...3, using: &rng) {
            let id = "m\(seq)_\(i)"
            let yearly = Int.random(in: 0..<5, using: &rng) == 0
            let pledge = Pledge(amount: Money(units: Int64.random(in: 75...400, using: &rng), .zar), interval: yearly ? .year : .month)
            let months = yearly ? 12 : 1
            let start = CivilDate.date(year: 2026, month: Int.random(in: 1...6, using: &rng), day: Int.random(in: 1...28, using: &rng))
            members.append(Member(id: id, pledge: pledge, opened: start.addingTimeInterval(-3600)))
            if provider == "stripe" { add(id, start.addingTimeInterval(-1800), .checkout) }
            var renewal = start
            var lastTime = start
            for _ in 0..<Int.random(in: 1...(yearly ? 2 : 6), using: &rng) {
                let next = CivilDate.adding(months: months, to: renewal)
                if Double.random(in: 0..<1, using: &rng) < 0.7 {
                    add(id, renewal, .paid(pledge.amount, periodEnd: next))
                    lastTime = renewal
                } else {
                    add(id, renewal, .failed(pledge.amount, periodEnd: next))
                    lastTime = renewal
                    if Bool.random(using: &rng) {
                        // Stripe retries the same invoice; PayFast reports each attempt with its own billing date.
                        let retry = renewal.addingTimeInterval(2 * 86400)
                        add(id, retry, .failed(pledge.amount, periodEnd: provider == "stripe" ? next : CivilDate.adding(months: months, to: retry)))
                        lastTime = renewal.addingTimeInterval(2 * 86400)
                    }
                    if Bool.random(using: &rng) {
                        let fixed = renewal.addingTimeInterval(Double(Int.random(in: 3...20, using: &rng)) * 86400)
                        add(id, fixed, .paid(pledge.amount, periodEnd: CivilDate.adding(months: months, to: fixed)))
                        lastTime = fixed
                    }
                }
                renewal = next
            }
            if provider == "stripe", Double.random(in: 0..<1, using: &rng) < 0.25 {
                add(id, lastTime.addingTimeInterval(86400), .cancelAtPeriodEnd)
            }
            if Double.random(in: 0..<1, using: &rng) < 0.25 {
                let end = lastTime.addingTimeInterval(2 * 86400)
                add(id, end, .ended)
                // Events for a cancelled membership: a late renewal attempt after the end.
                if Bool.random(using: &rng) {
                    let late = end.addingTimeInterval(5 * 86400)
                    add(id, late, .failed(pledge.amount, periodEnd: CivilDate.adding(months: months, to: late)))
                }
            }
            if provider == "stripe", Double.random(in: 0..<1, using: &rng) < 0.2 {
                let charge = "ch_\(id)"
                add(id, lastTime.addingTimeInterval(3 * 86400), .refund(charge: charge, total: 5000))
                add(id, lastTime.addingTimeInterval(4 * 86400), .refund(charge: charge, total: 7500))
            }
            if provider == "stripe", Double.random(in: 0..<1, using: &rng) < 0.2 {
                add(id, lastTime.addingTimeInterval(3600), .unknownType)
            }
        }
        // A customer nobody knows.
        if Double.random(in: 0..<1, using: &rng) < 0.3 {
            let t = CivilDate.date(year: 2026, month: 3, day: 3)
            add("ghost\(seq)", t, .paid(Money(units: 150, .zar), periodEnd: CivilDate.adding(months: 1, to: t)))
        }
        return (members, happenings)
    }

    /// A plain reading of genuine events in their true order; the answer the engine must reach.
    struct InOrder {
        var paidMinor: Int64 = 0
        var paidThrough: Date?
        var holdSince: Date?
        var cancelAtEnd = false
        var ended = false
        var refunds: [String: Int64] = [:]

        mutating func read(_ h: Happening) {
            switch h.what {
            case let .paid(money, periodEnd):
                guard money.currency == .zar else { return }
                paidMinor += money.minor
                paidThrough = max(paidThrough ?? periodEnd, periodEnd)
                holdSince = nil
            case let .failed(_, periodEnd):
                if let through = paidThrough, periodEnd <= through { return }
                if holdSince == nil { holdSince = h.time }
            case .cancelAtPeriodEnd: cancelAtEnd = true
            case .ended: ended = true
            case let .refund(charge, total): refunds[charge] = max(refunds[charge] ?? 0, total)
            case .checkout, .unknownType: break
            }
        }

        func status(at now: Date, grace: TimeInterval, slack: TimeInterval) -> Status {
            if ended { return paidThrough.map { now < $0 } ?? false ? .cancelled : .expired }
            guard let through = paidThrough else { return .pending }
            if cancelAtEnd { return now < through ? .cancelled : .expired }
            if let since = holdSince { return now < since + grace ? .onHold : .lapsed }
            return now < through + slack ? .active : .lapsed
        }
    }

    /// One delivery attempt of a happening (or of something fabricated).
    struct Delivery {
        var at: Date
        var body: [UInt8]
        var headers: [String: String]
        /// Whether this copy must pass verification.
        var genuine: Bool
        var serial: Int
    }

    // MARK: Stripe

    static func stripeJSON(_ h: Happening, seq: Int, currency: String = "zar", tamper: Bool = false) -> String {
        let m = h.membership
        let t = Int64(h.time.timeIntervalSince1970)
        let meta = #"{"membership_id":"\#(m)"}"#
        let object: String
        let type: String
        switch h.what {
        case .checkout:
            type = "checkout.session.completed"
            object = #"{"id":"cs_\#(m)","object":"checkout.session","mode":"subscription","client_reference_id":"\#(m)","customer":"cus_\#(m)","subscription":"sub_\#(m)","metadata":\#(meta),"payment_status":"paid"}"#
        case let .paid(money, end), let .failed(money, end):
            let paid: Bool
            if case .paid = h.what { paid = true } else { paid = false }
            type = paid ? "invoice.paid" : "invoice.payment_failed"
            let amount = tamper ? money.minor * 10 : money.minor
            let e = Int64(end.timeIntervalSince1970)
            // Alternate between the 2025 shape (parent.subscription_details) and the older top-level fields.
            let parent = h.serial % 2 == 0
                ? #""parent":{"type":"subscription_details","subscription_details":{"subscription":"sub_\#(m)","metadata":\#(meta)}}"#
                : #""subscription":"sub_\#(m)","subscription_details":{"metadata":\#(meta)}"#
            object = #"{"id":"in_\#(m)_\#(h.serial)","object":"invoice","customer":"cus_\#(m)","currency":"\#(currency)","amount_paid":\#(paid ? amount : 0),"amount_due":\#(amount),\#(parent),"lines":{"object":"list","data":[{"period":{"start":\#(t),"end":\#(e)}}]},"status_transitions":{"paid_at":\#(paid ? String(t) : "null")}}"#
        case .cancelAtPeriodEnd:
            type = "customer.subscription.updated"
            object = #"{"id":"sub_\#(m)","object":"subscription","customer":"cus_\#(m)","status":"active","cancel_at_period_end":true,"pause_collection":null,"metadata":\#(meta)}"#
        case .ended:
            type = "customer.subscription.deleted"
            object = #"{"id":"sub_\#(m)","object":"subscription","customer":"cus_\#(m)","status":"canceled","ended_at":\#(t),"metadata":\#(meta)}"#
        case let .refund(charge, total):
            type = "charge.refunded"
            object = #"{"id":"\#(charge)","object":"charge","customer":"cus_\#(m)","amount_refunded":\#(total),"currency":"zar"}"#
        case .unknownType:
            type = "customer.tax_id.created"
            object = #"{"id":"txi_\#(m)","object":"tax_id","customer":"cus_\#(m)"}"#
        }
        return #"{"id":"evt_\#(seq)_\#(h.serial)","object":"event","created":\#(t),"type":"\#(type)","data":{"object":\#(object)}}"#
    }

    @Test func stripeChaos() async throws {
        let secret = "whsec_current", rolled = "whsec_previous"
        let client = StripeClient(configuration: StripeConfiguration(apiBase: "http://127.0.0.1:9", secretKey: "sk_test_x",
                                                                     webhookSecrets: [secret, rolled]),
                                  transport: Unreachable())
        var rng = SeededRandom(seed: 20_260_101)
        var tally = Tally()
        for seq in 0..<Self.sequences {
            let (members, happenings) = Self.history(&rng, seq: seq, provider: "stripe")
            var deliveries: [Delivery] = []
            var valid: Set<Int> = []
            var usd: Set<Int> = []
            for h in happenings {
                // A payment reported in another currency is genuine but must be refused.
                let foreign = { if case .paid = h.what { return Int.random(in: 0..<40, using: &rng) == 0 } else { return false } }()
                if foreign { usd.insert(h.serial) }
                let body = Array(Self.stripeJSON(h, seq: seq, currency: foreign ? "usd" : "zar").utf8)
                for _ in 0..<(Int.random(in: 0..<4, using: &rng) == 0 ? Int.random(in: 2...3, using: &rng) : 1) {
                    let delay = Bool.random(using: &rng) ? Double.random(in: 0...60, using: &rng) : Double.random(in: 0...(3 * 3600), using: &rng)
                    let at = h.time.addingTimeInterval(delay)
                    var signedAt = Int64(at.timeIntervalSince1970)
                    var key = Bool.random(using: &rng) ? secret : rolled
                    var sent = body
                    var genuine = true
                    switch Int.random(in: 0..<20, using: &rng) {
                    case 0: key = "whsec_forged"; genuine = false
                    case 1: signedAt -= Int64.random(in: 301...7200, using: &rng); genuine = false
                    case 2:  // Changed after signing: the amount where there is one, else the membership it names.
                        sent = Array(Self.stripeJSON(h, seq: seq, tamper: true).utf8)
                        if sent == body { sent = Array(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "\"object\":\"event\"", with: "\"object\": \"event\"").utf8) }
                        genuine = false
                    default: break
                    }
                    let header = StripeSignature.header(body: body, timestamp: signedAt, secret: key)
                    if genuine { valid.insert(h.serial) }
                    deliveries.append(Delivery(at: at, body: sent, headers: ["Stripe-Signature": header], genuine: genuine, serial: h.serial))
                }
            }
            // Fabricated: a year paid for, signed by someone without the secret.
            if let target = members.first {
                let fake = Happening(membership: target.id, time: target.opened.addingTimeInterval(7200),
                                     what: .paid(Money(units: 1, .zar), periodEnd: target.opened.addingTimeInterval(400 * 86400)), serial: 9999)
                let body = Array(Self.stripeJSON(fake, seq: seq).utf8)
                deliveries.append(Delivery(at: fake.time, body: body,
                                           headers: ["Stripe-Signature": StripeSignature.header(body: body, timestamp: Int64(fake.time.timeIntervalSince1970), secret: "whsec_guess")],
                                           genuine: false, serial: 9999))
            }
            deliveries.sort { $0.at < $1.at }

            var book = Book(engine: engine)
            for m in members {
                book.receive(MembershipEvent(id: "local:open:\(m.id)", provider: "stripe", occurredAt: m.opened,
                                             reference: Reference(membershipID: m.id), kind: .opened(m.pledge)))
            }
            for d in deliveries {
                do {
                    let events = try await client.receive(WebhookDelivery(headers: d.headers, body: d.body), context: ReceiveContext(now: d.at))
                    if !d.genuine { Issue.record("a forged, stale or tampered delivery was accepted (sequence \(seq)): \(String(decoding: d.body, as: UTF8.self))") }
                    for e in events { tally.count(book.receive(e)) }
                } catch let error as PaymentError {
                    if d.genuine { Issue.record("a genuine delivery was refused: \(error) (sequence \(seq))") }
                    tally.refused += 1
                }
            }
            let genuine = happenings.filter { valid.contains($0.serial) }
            try check(book, members: members, happenings: genuine.filter { !usd.contains($0.serial) }, seq: seq,
                      routable: { h in
                          // A refund names only the customer: it lands once a genuine event has linked the customer
                          // to the membership (every other event here names both, except unknown types).
                          guard case .refund = h.what else { return true }
                          return genuine.contains { g in
                              switch g.what {
                              case .refund, .unknownType: return false
                              default: return g.membership == h.membership
                              }
                          }
                      })
        }
        #expect(tally.applied > 0 && tally.duplicates > 0 && tally.refused > 0 && tally.parked > 0 && tally.rejected > 0)
    }

    // MARK: PayFast

    static let merchantID = "10000100"
    static let passphrase = "jt7NOE43FZPn"

    static func itnFields(_ h: Happening, pledge: Pledge?, amountOverride: Money? = nil) -> [FormField] {
        let status: String
        let amount: Money
        switch h.what {
        case let .paid(money, _): status = "COMPLETE"; amount = money
        case let .failed(money, _): status = "FAILED"; amount = money
        case .ended: status = "CANCELLED"; amount = pledge?.amount ?? Money(units: 0, .zar)
        default: status = "PENDING"; amount = Money(units: 0, .zar)
        }
        let gross = amountOverride ?? amount
        return [
            FormField("m_payment_id", h.membership), FormField("pf_payment_id", String(1_000_000 + h.serial * 7 + h.membership.count)),
            FormField("payment_status", status), FormField("item_name", "Daily Example membership"),
            FormField("item_description", ""), FormField("amount_gross", gross.decimalString),
            FormField("amount_fee", "-4.35"), FormField("amount_net", Money(minor: gross.minor - 435, currency: .zar).decimalString),
            FormField("custom_str1", h.membership), FormField("custom_str2", ""), FormField("name_first", "Thandi"),
            FormField("name_last", "Mokoena"), FormField("email_address", "thandi+\(h.membership)@example.com"),
            FormField("merchant_id", merchantID), FormField("token", "tok-\(h.membership)"),
            FormField("billing_date", CivilDate.dayString(h.time)),
        ]
    }

    static func signed(_ fields: [FormField], passphrase: String = ChaosTests.passphrase) -> [FormField] {
        fields + [FormField("signature", PayFastClient.notificationSignature(fields, passphrase: passphrase))]
    }

    @Test func payFastChaos() async throws {
        var rng = SeededRandom(seed: 27_000_000)
        var tally = Tally()
        for seq in 0..<Self.sequences {
            let (members, raw) = Self.history(&rng, seq: seq, provider: "payfast")
            // One PayFast notice per billing day and outcome: ids are pf_payment_id + status.
            let happenings = raw
            var deliveries: [Delivery] = []
            var valid: Set<Int> = []
            var issued: Set<String> = []
            let pledges = Dictionary(uniqueKeysWithValues: members.map { ($0.id, $0.pledge) })
            for h in happenings {
                let fields = Self.itnFields(h, pledge: pledges[h.membership])
                for _ in 0..<(Int.random(in: 0..<4, using: &rng) == 0 ? Int.random(in: 2...3, using: &rng) : 1) {
                    let at = h.time.addingTimeInterval(Double.random(in: 0...(3 * 3600), using: &rng))
                    var sent = Self.signed(fields)
                    var genuine = true
                    var fromPayFast = true
                    switch Int.random(in: 0..<25, using: &rng) {
                    case 0: sent = Self.signed(fields, passphrase: "guess"); genuine = false; fromPayFast = false
                    case 1:  // Tampered after signing.
                        sent = sent.map { $0.name == "amount_gross" ? FormField("amount_gross", "1.00") : $0 }
                        genuine = false; fromPayFast = false
                    case 2:  // Signed correctly for the wrong amount (a reader edited the checkout form).
                        if let p = pledges[h.membership], case .paid = h.what {
                            sent = Self.signed(Self.itnFields(h, pledge: p, amountOverride: Money(minor: p.amount.minor - 5000, currency: .zar)))
                            genuine = false
                        }
                    case 3:  // Well signed (the passphrase leaked) but made up: PayFast's server answers INVALID.
                        sent = Self.signed(fields.map { $0.name == "pf_payment_id" ? FormField("pf_payment_id", "9" + $0.value) : $0 })
                        genuine = false; fromPayFast = false
                    case 4:
                        sent = sent.filter { $0.name != "pf_payment_id" }; genuine = false; fromPayFast = false
                    default: break
                    }
                    if fromPayFast { issued.insert(PayFastClient.notificationParameterString(sent)) }
                    if genuine { valid.insert(h.serial) }
                    deliveries.append(Delivery(at: at, body: Array(FormEncoding.encode(sent).utf8),
                                               headers: ["content-type": "application/x-www-form-urlencoded"], genuine: genuine, serial: h.serial))
                }
            }
            deliveries.sort { $0.at < $1.at }
            let client = PayFastClient(configuration: PayFastConfiguration(merchantID: Self.merchantID, merchantKey: "46f0cd694581a",
                                                                           passphrase: Self.passphrase, host: "http://127.0.0.1:9"),
                                       transport: Validator(issued: issued))
            let expectations = pledges.mapValues { Expectation(amount: $0.amount, interval: $0.interval) }
            let context = { (now: Date) in ReceiveContext(now: now, expectation: { expectations[$0] }) }

            var book = Book(engine: engine)
            for m in members {
                book.receive(MembershipEvent(id: "local:open:\(m.id)", provider: "payfast", occurredAt: m.opened,
                                             reference: Reference(membershipID: m.id), kind: .opened(m.pledge)))
            }
            for d in deliveries {
                do {
                    let events = try await client.receive(WebhookDelivery(headers: d.headers, body: d.body), context: context(d.at))
                    if !d.genuine { Issue.record("a forged, tampered or unconfirmed ITN was accepted (sequence \(seq)): \(String(decoding: d.body, as: UTF8.self))") }
                    for e in events { tally.count(book.receive(e)) }
                } catch let error as PaymentError {
                    if d.genuine { Issue.record("a genuine ITN was refused: \(error) (sequence \(seq))") }
                    tally.refused += 1
                }
            }
            try check(book, members: members, happenings: happenings.filter { valid.contains($0.serial) }, seq: seq,
                      routable: { _ in true })
        }
        #expect(tally.applied > 0 && tally.duplicates > 0 && tally.refused > 0 && tally.parked > 0)
    }

    // MARK: shared

    struct Tally {
        var applied = 0, duplicates = 0, parked = 0, rejected = 0, unchanged = 0, refused = 0, ignored = 0
        mutating func count(_ r: Book.Receipt) {
            switch r {
            case .applied: applied += 1
            case .duplicate: duplicates += 1
            case .parked: parked += 1
            case .rejected: rejected += 1
            case .noChange: unchanged += 1
            case .ignored: ignored += 1
            }
        }
    }

    func check(_ book: Book, members: [Member], happenings genuine: [Happening], seq: Int,
               routable: (Happening) -> Bool) throws {
        // Plain comparisons with Issue.record on a difference: #expect per value is too slow for 10,000 runs.
        if book.memberships.count != members.count { Issue.record("an unknown customer's event made a membership (sequence \(seq))") }
        let ordered = genuine.sorted { ($0.time, $0.serial) < ($1.time, $1.serial) }
        for m in members {
            var reference = InOrder()
            for h in ordered where h.membership == m.id && routable(h) { reference.read(h) }
            guard let got = book.memberships[m.id] else { Issue.record("membership \(m.id) missing (sequence \(seq))"); return }
            if got.paidMinor != reference.paidMinor { Issue.record("paid total \(got.paidMinor) ≠ \(reference.paidMinor) (sequence \(seq), \(m.id))") }
            if got.paidThrough != reference.paidThrough { Issue.record("paid-through differs (sequence \(seq), \(m.id))") }
            if got.refundedMinor != reference.refunds.values.reduce(0, +) { Issue.record("refunds differ (sequence \(seq), \(m.id))") }
            let last = ordered.last?.time ?? m.opened
            for probe in [1.0, 10, 20, 45, 400].map({ last.addingTimeInterval($0 * 86400) }) {
                let want = reference.status(at: probe, grace: engine.settings.grace, slack: engine.settings.renewalSlack)
                let have = engine.status(of: got, at: probe).status
                if have != want {
                    Issue.record("status at \(CivilDate.dayString(probe)) is \(have), in order it is \(want) (sequence \(seq), \(m.id))")
                    return
                }
            }
        }
    }
}

/// Nothing in the Stripe chaos test calls out.
struct Unreachable: HTTPTransport {
    func send(_ request: OutgoingRequest) async throws -> IncomingResponse { throw PaymentError.transport("not reachable") }
}

/// PayFast's /eng/query/validate in-process: VALID for the parameter strings of notices it "sent".
struct Validator: HTTPTransport {
    let issued: Set<String>
    func send(_ request: OutgoingRequest) async throws -> IncomingResponse {
        IncomingResponse(status: 200, body: Array((issued.contains(String(decoding: request.body, as: UTF8.self)) ? "VALID" : "INVALID").utf8))
    }
}
