/// Salt periods: a reader's hash changes when the salt does, so the union of daily sketches over 30 days counts
/// a returning reader once per salt period in which they came. The simulation measures that effect.
public enum SaltPeriod {
    /// Which salt a moment falls in: days since 1970 (UTC) divided by the period, in whole days.
    public static func index(milliseconds: Int64, periodDays: Int) -> Int64 {
        let day = milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds - 86_399_999) / 86_400_000
        return day >= 0 ? day / Int64(max(1, periodDays)) : (day - Int64(max(1, periodDays)) + 1) / Int64(max(1, periodDays))
    }

    public static func day(milliseconds: Int64) -> Int64 {
        milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds - 86_399_999) / 86_400_000
    }
}

/// A synthetic readership with realistic return visits: a few loyal readers who come almost daily, a body of
/// regulars who come a couple of times a week, and many occasional readers (search, social) seen once or twice
/// a month. Each reader visits on each day independently with their group's probability.
public struct ReadershipSimulation: Sendable {
    public struct Group: Sendable {
        public var readers: Int
        public var dailyVisitProbability: Double
        public init(readers: Int, dailyVisitProbability: Double) {
            self.readers = readers
            self.dailyVisitProbability = dailyVisitProbability
        }
    }

    public struct Result: Sendable, Equatable {
        /// People who came at least once in the window.
        public var trueReaders: Int
        /// Distinct (reader, salt period) pairs: what a perfect counter reports with this salt period.
        public var countedExactly: Int
        /// What the union of the daily HyperLogLog sketches reports.
        public var countedBySketch: Int
        public var inflation: Double { trueReaders == 0 ? 1 : Double(countedExactly) / Double(trueReaders) }
    }

    public var groups: [Group]
    public var days: Int
    public var seed: UInt64

    public init(groups: [Group] = ReadershipSimulation.newsSite, days: Int = 30, seed: UInt64 = 2026) {
        self.groups = groups
        self.days = days
        self.seed = seed
    }

    /// 2% loyal (5 days a week), 18% regular (twice a week), 80% occasional (about 1.5 visits a month).
    public static let newsSite: [Group] = [
        Group(readers: 2_000, dailyVisitProbability: 5.0 / 7.0),
        Group(readers: 18_000, dailyVisitProbability: 2.0 / 7.0),
        Group(readers: 80_000, dailyVisitProbability: 1.5 / 30.0),
    ]

    public func run(saltPeriodDays: Int) -> Result {
        var random = SplitMix64(seed: seed)
        var sketch = HyperLogLog()
        var trueReaders = 0
        var counted = 0
        var reader: UInt64 = 0
        let period = max(1, saltPeriodDays)
        for group in groups {
            for _ in 0..<group.readers {
                reader += 1
                var came = false
                var lastPeriod = -1
                for day in 0..<days {
                    let draw = Double(random.next() >> 11) / Double(1 << 53)
                    guard draw < group.dailyVisitProbability else { continue }
                    came = true
                    let salt = day / period
                    if salt != lastPeriod {
                        counted += 1
                        lastPeriod = salt
                    }
                    sketch.add(hash: SplitMix64.mix(reader &* 0x1_0000_0001 ^ UInt64(salt) &* 0x9E37_79B9))
                }
                if came { trueReaders += 1 }
            }
        }
        return Result(trueReaders: trueReaders, countedExactly: counted, countedBySketch: sketch.count)
    }
}
