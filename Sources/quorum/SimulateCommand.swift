import ArgumentParser
import Foundation

import Simulator

/// `quorum simulate SCENARIO`: runs a synthetic community through the review engine and, side by side, a
/// majority-of-3 baseline, and prints the moderation-quality metrics (see docs/moderation-quality.md).
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a synthetic community through the review engine and a majority-of-3 baseline.")

    @Argument(help: "Scenario files (YAML or JSON), e.g. scenarios/brigade-20.yaml.")
    var scenarios: [String]

    @Option(help: "Override the scenario's seed.")
    var seed: UInt64?

    @Option(help: "Override the number of comments.")
    var comments: Int?

    @Option(help: "Only this policy: engine or majority-of-3.")
    var policy: String?

    @Flag(help: "Print results as JSON instead of a table.")
    var json = false

    @Flag(help: "No progress on standard error.")
    var quiet = false

    func run() async throws {
        var all: [ScenarioResult] = []
        for path in scenarios {
            var scenario = try Scenario.load(path: path)
            if let seed { scenario.seed = seed }
            if let comments { scenario.comments = comments }
            try scenario.validate()
            var policies = PolicyKind.allCases
            if let policy {
                guard let p = PolicyKind(rawValue: policy) else { throw ValidationError("unknown policy \(policy)") }
                policies = [p]
            }
            let quiet = self.quiet, name = scenario.name
            let result = Simulator.run(scenario, policies: policies) { policy, fraction in
                guard !quiet else { return }
                let line = "\r\(name) [\(policy.rawValue)] \(Int(fraction * 100))%" + (fraction >= 1 ? "\n" : "")
                FileHandle.standardError.write(Data(line.utf8))
            }
            all.append(result)
            if !json { print(result.table()) }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(all), as: UTF8.self))
        }
    }
}
