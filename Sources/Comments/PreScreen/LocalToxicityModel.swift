import Foundation

/// The weights of the built-in toxicity scorer, read from `Resources/toxicity-model.tsv` of this target, which
/// `scripts/train-toxicity.py` writes. Read once, on first use; a missing or malformed file is a
/// ``LocalToxicityModelError`` naming the file and the line, thrown by every score (the pre-screen then
/// screens by its rules alone and logs why).
///
/// The format: lines starting with `#` are comments; then the header lines `format`, `bias`, `threshold` and
/// `features` (the number of feature lines), each a name, a tab and its value; then one feature a line: its
/// name (`w=`, `b=`, `c=` or `f=` and the feature), a tab, its weight. Weights are parsed with `Double(_:)`,
/// which reads the script's decimal text to the same bits the script sums.
struct LocalToxicityModel: Sendable {
    static let format = "quorum-toxicity-model/1"
    static let resourcePath = "Resources/toxicity-model.tsv"

    let bias: Double
    /// The score at and above which the held-out numbers in docs/toxicity.md count a comment as not civil.
    let threshold: Double
    let weights: [String: Double]

    /// The shipped model, loaded on first use (a `static let` is initialised once, safely across threads).
    static let shipped: Result<LocalToxicityModel, LocalToxicityModelError> = {
        do throws(LocalToxicityModelError) {
            return .success(try load(path: Bundle.module.bundleURL.appendingPathComponent(resourcePath).path))
        } catch {
            return .failure(error)
        }
    }()

    static func load(path: String) throws(LocalToxicityModelError) -> LocalToxicityModel {
        guard let data = FileManager.default.contents(atPath: path) else { throw .missing(path) }
        guard let text = String(data: data, encoding: .utf8) else { throw .malformed(path, line: 1, "not UTF-8 text") }
        return try parse(text, file: path)
    }

    static func parse(_ text: String, file: String) throws(LocalToxicityModelError) -> LocalToxicityModel {
        var header: [String: String] = [:]
        var headerLine: [String: Int] = [:]
        var weights: [String: Double] = [:]
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let tab = line.firstIndex(of: "\t") else { throw .malformed(file, line: lineNumber, "no tab between name and value") }
            let name = String(line[..<tab])
            let value = line[line.index(after: tab)...]
            if name.count >= 2, name.dropFirst().first == "=", "wbcf".contains(name.first!) {
                guard header.count == 4 else {
                    throw .malformed(file, line: lineNumber, "a feature before the header lines format, bias, threshold and features")
                }
                guard let weight = Double(value), weight.isFinite else {
                    throw .malformed(file, line: lineNumber, "the weight of \(name) is not a number")
                }
                guard weights.updateValue(weight, forKey: name) == nil else {
                    throw .malformed(file, line: lineNumber, "feature \(name) appears twice")
                }
            } else {
                guard ["format", "bias", "threshold", "features"].contains(name), weights.isEmpty else {
                    throw .malformed(file, line: lineNumber, "unexpected line '\(name)'")
                }
                guard header.updateValue(String(value), forKey: name) == nil else {
                    throw .malformed(file, line: lineNumber, "header \(name) appears twice")
                }
                headerLine[name] = lineNumber
            }
        }
        func line(_ name: String) -> Int { headerLine[name] ?? 1 }
        guard header["format"] == format else {
            throw .malformed(file, line: line("format"), "the format is \(header["format"].map { "'\($0)'" } ?? "missing"); expected '\(format)'")
        }
        guard let bias = header["bias"].flatMap({ Double($0) }), bias.isFinite else { throw .malformed(file, line: line("bias"), "bias is missing or not a number") }
        guard let threshold = header["threshold"].flatMap({ Double($0) }), threshold > 0, threshold < 1 else {
            throw .malformed(file, line: line("threshold"), "threshold is missing or not between 0 and 1")
        }
        guard let count = header["features"].flatMap({ Int($0) }), count == weights.count, count > 0 else {
            throw .malformed(file, line: line("features"), "the header says \(header["features"] ?? "nothing") features; the file has \(weights.count)")
        }
        return LocalToxicityModel(bias: bias, threshold: threshold, weights: weights)
    }
}

/// The built-in toxicity model could not be read.
public enum LocalToxicityModelError: Error, CustomStringConvertible, Equatable {
    case missing(String)
    case malformed(String, line: Int, String)

    public var description: String {
        switch self {
        case .missing(let path):
            "the built-in toxicity model \(path) is missing: reinstall Quorum with its resources, or run scripts/train-toxicity.py"
        case .malformed(let path, let line, let problem):
            "the built-in toxicity model \(path) is malformed at line \(line): \(problem)"
        }
    }
}
