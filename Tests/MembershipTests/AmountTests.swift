import Testing
@testable import MembershipEngine

@Suite struct AmountTests {
    let plan = Plan.southAfricanDefault

    @Test(arguments: [("150", 15000), ("R150", 15000), ("r 200", 20000), ("1 800", 180000), ("1,800", 180000),
                      ("ZAR 75", 7500), (" 300 ", 30000), ("150.00", 15000), ("0150", 15000)])
    func acceptsWholeAmounts(_ text: String, _ minor: Int) {
        let interval: Interval = minor >= 90000 ? .year : .month
        #expect(plan.validate(amount: text, interval: interval) == .success(Money(minor: Int64(minor), currency: .zar)))
    }

    @Test func refusesWithClearMessages() {
        func error(_ text: String, _ interval: Interval? = .month) -> AmountError? {
            if case let .failure(e) = plan.validate(amount: text, interval: interval) { return e }
            return nil
        }
        #expect(error("") == .empty)
        #expect(error("lots") == .notANumber("lots"))
        #expect(error("1e3") == .notANumber("1e3"))
        #expect(error("12.3.4") == .notANumber("12.3.4"))
        #expect(error("-150") == .negative)
        #expect(error("150.50") == .decimalsNotAllowed(currency: .zar, allowsMinorUnits: false))
        #expect(error("74") == .belowMinimum(rand(75), interval: .month))
        #expect(error("0") == .belowMinimum(rand(75), interval: .month))
        #expect(error("800", .year) == .belowMinimum(rand(900), interval: .year))
        #expect(error("49", nil) == .belowMinimum(rand(50), interval: nil))
        #expect(error("100001") == .aboveMaximum(rand(100_000)))
        #expect(error(String(repeating: "9", count: 40)) == .aboveMaximum(rand(100_000)))
        #expect(error("74")?.description == "The minimum is R75 a month.")
        #expect(error("150.50")?.description == "Choose a whole amount, without cents.")
        #expect(error("-1")?.code == "amount_negative")
    }

    @Test func centsWhereThePlanAllowsThem() {
        var p = plan
        p.allowsMinorUnits = true
        #expect(p.validate(amount: "150.50", interval: .month) == .success(Money(minor: 15050, currency: .zar)))
        #expect(p.validate(amount: "150,5", interval: .month) == .success(Money(minor: 15050, currency: .zar)))
        #expect(p.validate(amount: "150.505", interval: .month) == .failure(.decimalsNotAllowed(currency: .zar, allowsMinorUnits: true)))
    }

    @Test func formatting() {
        #expect(rand(150).formatted() == "R150.00")
        #expect(rand(1800).formatted(dropZeroCents: true) == "R1800")
        #expect(Money(minor: 5, currency: .zar).decimalString == "0.05")
        #expect(Money.parseDecimal("150.5", currency: .zar) == Money(minor: 15050, currency: .zar))
        #expect(Money.parseDecimal("1.234", currency: .zar) == nil)
    }
}
