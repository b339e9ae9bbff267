import Foundation
import MembershipEngine
import QuorumWeb

/// The dashboard's charts, drawn on the server as SVG (no JavaScript): bars per month, scaled to the largest
/// value, with the month under each group and the value above each bar. Colours come from the theme's CSS
/// (classes `chart-*`), so the markup has no style attributes.
enum DashboardChart {
    struct Series {
        var name: String
        var cssClass: String
        var values: [Int64]
        /// How a value is written above its bar.
        var label: (Int64) -> String
    }

    static let width = 720.0, height = 260.0, left = 8.0, right = 8.0, top = 40.0, bottom = 56.0

    /// `months` are the labels under each group ("Jan", with the year under January and the first month).
    static func svg(title: String, months: [MonthFigures], series: [Series]) -> String {
        let count = max(months.count, 1)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let slot = plotWidth / Double(count)
        let barWidth = max(2, (slot * 0.8) / Double(max(series.count, 1)))
        let largest = max(1, series.flatMap(\.values).max() ?? 1)
        func f(_ x: Double) -> String { String(format: "%.1f", x) }
        var out = #"<svg class="chart" viewBox="0 0 \#(Int(width)) \#(Int(height))" role="img" aria-labelledby="chart-\#(slug(title))" xmlns="http://www.w3.org/2000/svg">"#
        out += #"<title id="chart-\#(slug(title))">\#(Escaping.html(title))</title>"#
        // Legend.
        var x = left
        for s in series {
            out += #"<rect class="\#(s.cssClass)" x="\#(f(x))" y="6" width="12" height="12"/>"#
            out += #"<text class="chart-legend" x="\#(f(x + 16))" y="16">\#(Escaping.html(s.name))</text>"#
            x += 28 + Double(s.name.count) * 12
        }
        let baseline = top + plotHeight
        out += #"<line class="chart-axis" x1="\#(f(left))" y1="\#(f(baseline))" x2="\#(f(width - right))" y2="\#(f(baseline))"/>"#
        for (i, month) in months.enumerated() {
            let groupX = left + Double(i) * slot + slot * 0.1
            for (j, s) in series.enumerated() {
                let value = i < s.values.count ? s.values[i] : 0
                let h = Double(value) / Double(largest) * plotHeight
                let bx = groupX + Double(j) * barWidth
                out += #"<rect class="\#(s.cssClass)" x="\#(f(bx))" y="\#(f(baseline - h))" width="\#(f(barWidth - 1))" height="\#(f(h))"><title>\#(Escaping.html("\(s.name), \(monthName(month.month)) \(month.year): \(s.label(value))"))</title></rect>"#
                if series.count == 1 || slot > 50 {
                    out += #"<text class="chart-value" x="\#(f(bx + barWidth / 2))" y="\#(f(baseline - h - 4))">\#(Escaping.html(s.label(value)))</text>"#
                }
            }
            let cx = left + Double(i) * slot + slot / 2
            out += #"<text class="chart-label" x="\#(f(cx))" y="\#(f(baseline + 22))">\#(monthName(month.month))</text>"#
            if i == 0 || month.month == 1 {
                out += #"<text class="chart-label" x="\#(f(cx))" y="\#(f(baseline + 46))">\#(month.year)</text>"#
            }
        }
        return out + "</svg>"
    }

    static func monthName(_ month: Int) -> String {
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][(month - 1) % 12]
    }

    static func slug(_ text: String) -> String {
        String(text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
    }

    /// "R1.2k" style short labels for bars; exact figures are in the table under the chart.
    static func short(_ money: Money) -> String {
        let units = Double(money.minor) / Double(money.currency.minorPerUnit)
        if units >= 10_000 { return money.currency.symbol + String(format: "%.0fk", units / 1000) }
        if units >= 1000 { return money.currency.symbol + String(format: "%.1fk", units / 1000) }
        return money.currency.symbol + String(Int64(units.rounded()))
    }
}
