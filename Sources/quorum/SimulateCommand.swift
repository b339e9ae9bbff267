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
    var scenarios: [String] = []

    @Option(help: "Sample communities from a sweep spec (e.g. scenarios/sweep.yaml) instead of running scenarios.")
    var sweep: String?

    @Option(help: "Communities run at once in a sweep (default: one per core).")
    var threads: Int?

    @Flag(help: "Also run the oracle: the engine's rules fed every reviewer's true reliability.")
    var oracle = false

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
        if let sweep { return try runSweep(sweep) }
        guard !scenarios.isEmpty else { throw ValidationError("name at least one scenario file, or --sweep SPEC") }
        var all: [ScenarioResult] = []
        for path in scenarios {
            var scenario = try Scenario.load(path: path)
            if let seed { scenario.seed = seed }
            if let comments { scenario.comments = comments }
            try scenario.validate()
            var policies = oracle ? PolicyKind.standard + [.oracle] : PolicyKind.standard
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

    func runSweep(_ path: String) throws {
        var spec = try SweepSpec.load(path: path)
        if let seed { spec.seed = seed }
        let quiet = self.quiet, name = spec.name
        let result = try Simulator.sweep(spec, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount) { done, total in
            guard !quiet else { return }
            let line = "\r\(name): \(done) of \(total) communities" + (done == total ? "\n" : "")
            FileHandle.standardError.write(Data(line.utf8))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print(result.report(), terminator: "")
        }
    }
}
