import Foundation
import QuorumStore

/// The site's one way of showing a moment to a person, on pages and in emails alike: "7 September 2023, 14:05
/// UTC" (unambiguous for readers anywhere), or the day alone. Machine-readable times use `Timestamp.iso8601`.
public enum DateText {
    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]

    public static func format(_ timestamp: Timestamp) -> String {
        var seconds = time_t(timestamp.milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let minute = parts.tm_min < 10 ? "0\(parts.tm_min)" : "\(parts.tm_min)"
        let hour = parts.tm_hour < 10 ? "0\(parts.tm_hour)" : "\(parts.tm_hour)"
        return "\(parts.tm_mday) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900), \(hour):\(minute) UTC"
    }

    public static func day(_ timestamp: Timestamp) -> String {
        var seconds = time_t(timestamp.milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return "\(parts.tm_mday) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900)"
    }
}
