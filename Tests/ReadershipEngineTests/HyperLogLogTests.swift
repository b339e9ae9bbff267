import Testing
@testable import ReadershipEngine

@Suite struct HyperLogLogTests {
    /// Distinct synthetic readers (SplitMix64 hashes of 1...n) against their exact number.
    func sketch(of range: Range<UInt64>, seed: UInt64 = 0) -> HyperLogLog {
        var sketch = HyperLogLog()
        for value in range { sketch.add(hash: SplitMix64.mix(value ^ seed)) }
        return sketch
    }

    @Test(arguments: [1_000, 100_000, 10_000_000])
    func estimateWithinTwoPercent(readers: Int) {
        let sketch = sketch(of: 0..<UInt64(readers), seed: 0xA5A5)
        let error = abs(sketch.estimate - Double(readers)) / Double(readers)
        #expect(error < 0.02, "estimated \(sketch.count) for \(readers)")
    }

    @Test func repeatsDoNotCount() {
        var sketch = HyperLogLog()
        for _ in 0..<50 { for value in UInt64(0)..<1000 { sketch.add(hash: SplitMix64.mix(value)) } }
        #expect(abs(sketch.count - 1000) <= 20)
    }

    @Test func emptyIsZero() {
        #expect(HyperLogLog().count == 0)
        #expect(HyperLogLog().isEmpty)
    }

    /// Per-instance sketches merged register by register equal the sketch of the union, exactly, whatever the
    /// overlap between them.
    @Test func mergeIsTheSketchOfTheUnion() {
        let a = sketch(of: 0..<60_000)
        let b = sketch(of: 40_000..<100_000)
        let union = sketch(of: 0..<100_000)
        #expect(a.merged(with: b) == union)
        #expect(b.merged(with: a) == union)
        #expect(abs(union.estimate - 100_000) / 100_000 < 0.02)
    }

    @Test func bytesRoundTripSparseAndDense() throws {
        for count in [0, 10, 2_000, 50_000] {
            let original = sketch(of: 0..<UInt64(count))
            let bytes = original.bytes
            #expect(bytes.first == (count <= 2_000 ? 1 : 0))
            #expect(HyperLogLog(bytes: bytes) == original)
        }
        #expect(HyperLogLog(bytes: [7, 1, 2]) == nil)
        #expect(HyperLogLog(bytes: [1, 0xFF, 0xFF, 3]) == nil)
        #expect(HyperLogLog(bytes: [0, 1]) == nil)
    }
}

@Suite struct CallToActionTests {
    let wording = CallToActionWording(
        text: "There's a {complement} chance that this isn't for you. Only {share} of our readers have responded to this call for action. Be part of that {share}.",
        fallback: "Readers like you keep us going: {members} members so far.",
        minimumReaders: 1000
    )

    @Test func theSeedRowsWording() {
        #expect(wording.render(ReaderShare(members: 37, readers: 12_408))
            == "There's a 99.7% chance that this isn't for you. Only 0.3% of our readers have responded to this call for action. Be part of that 0.3%.")
    }

    @Test func neverZeroPointZero() {
        let share = ReaderShare(members: 3, readers: 1_000_000)
        #expect(share.shareText == "under 0.1%")
        #expect(share.complementText == "over 99.9%")
        #expect(wording.render(share).contains("Only under 0.1% of our readers"))
        #expect(ReaderShare(members: 0, readers: 5000).shareText == "0%")
        #expect(ReaderShare(members: 0, readers: 5000).complementText == "100%")
        #expect(ReaderShare(members: 999_999, readers: 1_000_000).shareText == "over 99.9%")
        #expect(ReaderShare(members: 5000, readers: 5000).shareText == "100%")
    }

    @Test func roundsHalfUpAndAddsUpToAHundred() {
        #expect(ReaderShare(members: 1, readers: 2000).shareText == "0.1%")  // 0.05% rounds up
        #expect(ReaderShare(members: 1, readers: 2001).shareText == "under 0.1%")
        #expect(ReaderShare(members: 125, readers: 1000).shareText == "12.5%")
        #expect(ReaderShare(members: 125, readers: 1000).complementText == "87.5%")
        #expect(ReaderShare(members: 500, readers: 1000).shareText == "50%")
        #expect(ReaderShare(members: 12, readers: 10).shareText == "100%")
    }

    @Test func fallbackUntilEnoughReaders() {
        #expect(wording.render(ReaderShare(members: 4, readers: 999)) == "Readers like you keep us going: 4 members so far.")
        #expect(wording.render(ReaderShare(members: 4, readers: 1000)).contains("0.4%"))
    }

    @Test func countsAndUnknownPlaceholders() {
        let text = CallToActionWording(text: "{members} of {readers} ({share}); {nonsense} {", fallback: "", minimumReaders: 1)
        #expect(text.render(ReaderShare(members: 1204, readers: 1_234_567)) == "1,204 of 1,234,567 (0.1%); {nonsense} {")
    }
}

@Suite struct PromotionChooserTests {
    let day: Int64 = 86_400_000

    @Test func datesTargetingAudience() {
        let rules = [
            PromotionRule(id: 1, kind: .houseAd, section: "politics"),
            PromotionRule(id: 2, kind: .houseAd, tag: "harbour"),
            PromotionRule(id: 3, kind: .houseAd, startsAt: 10 * day, endsAt: 20 * day),
            PromotionRule(id: 4, kind: .houseAd, audience: .signedOut),
            PromotionRule(id: 5, kind: .callToAction, audience: .everyone),
            PromotionRule(id: 6, kind: .houseAd, enabled: false),
            PromotionRule(id: 7, kind: .houseAd, onHome: true, onArticles: false),
        ]
        func ids(_ placement: Placement, _ reader: ReaderKind, _ now: Int64) -> Set<Int64> {
            Set(rules.filter { $0.applies(at: placement, for: reader, now: now) }.map(\.id))
        }
        let politics = Placement.article(section: "politics", tags: ["harbour", "vote"])
        let sport = Placement.article(section: "sport", tags: [])
        #expect(ids(politics, .anonymous, 5 * day) == [1, 2, 4, 5])
        #expect(ids(sport, .anonymous, 15 * day) == [3, 4, 5])
        #expect(ids(sport, .anonymous, 20 * day) == [4, 5])  // the end is exclusive
        #expect(ids(sport, .signedIn, 15 * day) == [3, 5])
        #expect(ids(sport, .member, 15 * day) == [3])  // never the call to action to a member
        #expect(ids(.home, .anonymous, 15 * day) == [7])
    }

    @Test func priorityThenRotation() {
        let rules = [
            PromotionRule(id: 1, kind: .houseAd, priority: 5),
            PromotionRule(id: 2, kind: .houseAd, priority: 1),
            PromotionRule(id: 3, kind: .houseAd, priority: 1),
            PromotionRule(id: 4, kind: .houseAd, priority: 1),
        ]
        let page = Placement.article(section: "s", tags: [])
        var seconds: [Int64: Int] = [:]
        for turn in UInt64(0)..<300 {
            let chosen = PromotionChooser.choose(rules, at: page, for: .anonymous, now: 0, rotation: turn, limit: 2)
            #expect(chosen.count == 2)
            #expect(chosen.first == 1)
            seconds[chosen[1], default: 0] += 1
        }
        #expect(seconds == [2: 100, 3: 100, 4: 100])
        #expect(PromotionChooser.choose(rules, at: page, for: .anonymous, now: 0, rotation: 0, limit: 1) == [1])
    }
}

@Suite struct SaltPeriodTests {
    @Test func periods() {
        let day: Int64 = 86_400_000
        #expect(SaltPeriod.index(milliseconds: 0, periodDays: 1) == 0)
        #expect(SaltPeriod.index(milliseconds: day - 1, periodDays: 1) == 0)
        #expect(SaltPeriod.index(milliseconds: day, periodDays: 1) == 1)
        #expect(SaltPeriod.index(milliseconds: 13 * day, periodDays: 7) == 1)
        #expect(SaltPeriod.index(milliseconds: 14 * day, periodDays: 7) == 2)
    }

    /// The measured effect of the salt period on the 30-day figure (docs/readership.md quotes these numbers).
    @Test func longerSaltsCountReturningReadersFewerTimes() {
        let simulation = ReadershipSimulation()
        let daily = simulation.run(saltPeriodDays: 1)
        let weekly = simulation.run(saltPeriodDays: 7)
        let monthly = simulation.run(saltPeriodDays: 30)
        print("salt period effect: readers \(daily.trueReaders); daily \(daily.countedExactly) (\(daily.inflation)x, sketch \(daily.countedBySketch)); weekly \(weekly.countedExactly) (\(weekly.inflation)x, sketch \(weekly.countedBySketch)); 30 days \(monthly.countedExactly) (\(monthly.inflation)x, sketch \(monthly.countedBySketch))")
        #expect(monthly.countedExactly == monthly.trueReaders)
        #expect(daily.inflation > weekly.inflation)
        #expect(weekly.inflation > monthly.inflation)
        #expect(abs(Double(daily.countedBySketch) - Double(daily.countedExactly)) / Double(daily.countedExactly) < 0.02)
    }
}

@Suite struct SipHashTests {
    /// The reference vector of the SipHash paper (appendix A): key 00…0f, message 00…0e.
    @Test func referenceVector() {
        var hasher = SipHash24(key: Array(0...15))
        hasher.update(Array(UInt8(0)...14))
        #expect(hasher.finalize() == 0xa129_ca61_49be_45e5)
        var empty = SipHash24(key: Array(0...15))
        #expect(empty.finalize() == 0x726f_db47_dd0e_0e31)
    }
}
