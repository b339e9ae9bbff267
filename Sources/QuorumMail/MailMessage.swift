import Foundation

import QuorumStore

/// An email address with an optional display name, e.g. `Quorum <news@quorum.example>`.
public struct MailAddress: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var address: String
    public var name: String?

    public init(_ address: String, name: String? = nil) {
        self.address = address
        self.name = name
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    /// The header form: `name <address>` (display name quoted or RFC 2047-encoded as needed), or the bare address.
    public var description: String { MailMessage.format(self) }
}

/// A plain-text email, optionally with an HTML alternative, rendered as an RFC 5322 / MIME message.
///
/// Rendering is deterministic for a given `messageID` and `date`. Every line ends in CRLF and no line is longer
/// than 78 characters (except an address or header word that cannot be split). Header values lose CR and LF
/// (each run becomes one space) so no value can start a header of its own; non-ASCII text in the subject,
/// display names and extra headers becomes RFC 2047 encoded words; bodies are UTF-8 in quoted-printable.
public struct MailMessage: Sendable {
    public var from: MailAddress
    public var to: [MailAddress]
    public var replyTo: MailAddress?
    public var subject: String
    public var textBody: String
    /// When set, the message is multipart/alternative: the text part first, then this HTML part.
    public var htmlBody: String?
    /// Extra headers (e.g. `List-Unsubscribe`, `Auto-Submitted`). Names must be letters, digits and "-";
    /// headers that the message sets itself (Date, From, To, Subject, Content-Type...) are ignored here.
    public var headers: [(name: String, value: String)]

    public init(
        from: MailAddress,
        to: [MailAddress],
        subject: String,
        textBody: String,
        htmlBody: String? = nil,
        replyTo: MailAddress? = nil,
        headers: [(name: String, value: String)] = []
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.replyTo = replyTo
        self.headers = headers
    }

    public init(
        from: MailAddress, to: MailAddress, subject: String, textBody: String, htmlBody: String? = nil,
        replyTo: MailAddress? = nil, headers: [(name: String, value: String)] = []
    ) {
        self.init(from: from, to: [to], subject: subject, textBody: textBody, htmlBody: htmlBody, replyTo: replyTo, headers: headers)
    }

    /// A fresh Message-ID (without angle brackets): a random UUID at `domain`.
    public static func makeMessageID(domain: String) -> String {
        "\(UUID().uuidString.lowercased())@\(domain)"
    }

    /// The SMTP envelope for this message: sender = From address, recipients = To addresses.
    public func envelope(messageID: String, date: Date = Date()) -> SMTPEnvelope {
        SMTPEnvelope(
            from: Self.cleanAddress(from.address),
            recipients: to.map { Self.cleanAddress($0.address) },
            data: render(messageID: messageID, date: date)
        )
    }

    /// The full message: headers, a blank line and the body, with CRLF line ends.
    public func render(messageID: String, date: Date = Date()) -> String {
        var lines: [String] = []
        func header(_ name: String, _ value: String) { lines.append(Self.fold(name: name, value: value)) }

        header("Date", Self.formatDate(date))
        header("Message-ID", "<\(Self.cleanMessageID(messageID))>")
        header("From", Self.format(from))
        header("To", to.map(Self.format).joined(separator: ", "))
        if let replyTo { header("Reply-To", Self.format(replyTo)) }
        header("Subject", Self.encodeText(subject))
        for (name, value) in headers {
            guard Self.isAllowedExtraHeader(name) else { continue }
            header(name, Self.encodeText(value))
        }
        header("MIME-Version", "1.0")

        if let htmlBody {
            let boundary = Self.boundary(for: messageID)
            header("Content-Type", "multipart/alternative; boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("--\(boundary)")
            lines.append("Content-Type: text/plain; charset=utf-8")
            lines.append("Content-Transfer-Encoding: quoted-printable")
            lines.append("")
            lines.append(contentsOf: Self.partBody(textBody))
            lines.append("--\(boundary)")
            lines.append("Content-Type: text/html; charset=utf-8")
            lines.append("Content-Transfer-Encoding: quoted-printable")
            lines.append("")
            lines.append(contentsOf: Self.partBody(htmlBody))
            lines.append("--\(boundary)--")
        } else {
            header("Content-Type", "text/plain; charset=utf-8")
            header("Content-Transfer-Encoding", "quoted-printable")
            lines.append("")
            lines.append(Self.quotedPrintable(textBody))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    // MARK: - Headers

    static let reservedHeaders: Set<String> = [
        "date", "message-id", "from", "to", "cc", "bcc", "reply-to", "sender", "subject",
        "mime-version", "content-type", "content-transfer-encoding",
    ]

    static func isAllowedExtraHeader(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" }
            && !reservedHeaders.contains(name.lowercased())
    }

    /// A header value with CR/LF runs turned into one space and other control characters removed.
    static func sanitize(_ value: String) -> String {
        var result = ""
        var lastWasBreak = false
        for scalar in value.unicodeScalars {
            if scalar == "\r" || scalar == "\n" {
                if !lastWasBreak { result.unicodeScalars.append(" ") }
                lastWasBreak = true
                continue
            }
            lastWasBreak = false
            if scalar == "\t" {
                result.unicodeScalars.append(" ")
            } else if scalar.value < 0x20 || scalar.value == 0x7F {
                continue
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Unstructured header text: as is when printable ASCII, otherwise RFC 2047 "B" encoded words
    /// (UTF-8, whole characters per word, each word at most 64 characters).
    static func encodeText(_ value: String) -> String {
        let clean = sanitize(value)
        let plain = clean.unicodeScalars.allSatisfy { $0.isASCII } && !clean.contains("=?")
        if plain { return clean }
        return encodedWords(clean)
    }

    static func encodedWords(_ text: String) -> String {
        // 39 bytes → 52 base64 characters → a 64-character word, which fits on a line after any short header name.
        let maximumBytes = 39
        var words: [String] = []
        var chunk: [UInt8] = []
        func flush() {
            guard !chunk.isEmpty else { return }
            words.append("=?utf-8?B?\(Data(chunk).base64EncodedString())?=")
            chunk = []
        }
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > maximumBytes { flush() }
            chunk += bytes
        }
        flush()
        return words.joined(separator: " ")
    }

    /// `name <address>`, or the bare address without a name.
    static func format(_ mailbox: MailAddress) -> String {
        let address = cleanAddress(mailbox.address)
        let name = sanitize(mailbox.name ?? "").trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { return address }
        return "\(phrase(name)) <\(address)>"
    }

    /// A display name: atoms as is, other ASCII as a quoted string, non-ASCII as encoded words.
    static func phrase(_ name: String) -> String {
        if !name.unicodeScalars.allSatisfy({ $0.isASCII }) { return encodedWords(name) }
        let atext = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~ ")
        if name.unicodeScalars.allSatisfy({ atext.contains($0) }) && !name.contains("=?") { return name }
        let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\""
    }

    /// An address with everything removed that could break out of `<...>` or the header line.
    static func cleanAddress(_ address: String) -> String {
        String(address.unicodeScalars.filter { $0.value > 0x20 && $0.value != 0x7F && $0 != "<" && $0 != ">" && $0 != "," && $0 != ";" }
            .map(Character.init))
    }

    static func cleanMessageID(_ id: String) -> String {
        String(id.unicodeScalars.filter { $0.value > 0x20 && $0.value < 0x7F && $0 != "<" && $0 != ">" }.map(Character.init))
    }

    /// `Name: value`, folded at spaces so lines stay within 78 characters where possible.
    static func fold(name: String, value: String, limit: Int = 78) -> String {
        var result = ""
        var line = "\(name):"
        var lineHasWord = false
        for word in value.split(separator: " ", omittingEmptySubsequences: false) {
            if word.isEmpty {
                line += " "
                continue
            }
            if lineHasWord && line.count + 1 + word.count > limit {
                result += line + "\r\n"
                line = " " + word
            } else {
                line += " " + word
            }
            lineHasWord = true
        }
        return result + line
    }

    /// RFC 5322 date in UTC, e.g. `Tue, 01 Jul 2025 09:05:03 +0000`.
    static func formatDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int?) -> String { let n = n ?? 0; return n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[(c.weekday ?? 1) - 1]), \(two(c.day)) \(months[(c.month ?? 1) - 1]) \(c.year ?? 1970) "
            + "\(two(c.hour)):\(two(c.minute)):\(two(c.second)) +0000"
    }

    /// A MIME boundary derived from the Message-ID. It starts with "=_", which quoted-printable text can never contain.
    static func boundary(for messageID: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in messageID.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return "=_quorum_" + String(hash, radix: 16)
    }

    // MARK: - Body

    /// A part inside a multipart body. The CRLF before the next boundary belongs to the boundary, so a text
    /// that ends with a line break needs one more to keep it.
    static func partBody(_ text: String) -> [String] {
        let encoded = quotedPrintable(text)
        let last = text.unicodeScalars.last
        return last == "\n" || last == "\r" ? [encoded, ""] : [encoded]
    }

    /// Quoted-printable (RFC 2045 §6.7) of UTF-8 text: line ends become CRLF, encoded lines are at most 76
    /// characters (soft breaks "=" where needed), "=" and non-ASCII bytes are escaped, and so is whitespace at a line end.
    static func quotedPrintable(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var output: [String] = []
        for line in splitLines(text) {
            var encoded: [UInt8] = []
            var current = 0
            for (index, byte) in line.enumerated() {
                let isLast = index == line.count - 1
                var token: [UInt8]
                if (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 0x20 || byte == 0x09) && !isLast) {
                    token = [byte]
                } else {
                    token = [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
                }
                // Keep room for the soft break "=" unless this token ends the line.
                let room = isLast ? 76 : 75
                if current + token.count > room {
                    encoded += Array("=\r\n".utf8)
                    current = 0
                }
                encoded += token
                current += token.count
            }
            output.append(String(decoding: encoded, as: UTF8.self))
        }
        return output.joined(separator: "\r\n")
    }

    /// The UTF-8 bytes of each line; CRLF, CR and LF all end a line. A final line end adds no empty line.
    static func splitLines(_ text: String) -> [[UInt8]] {
        let bytes = Array(text.utf8)
        var lines: [[UInt8]] = []
        var current: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                lines.append(current)
                current = []
                if byte == UInt8(ascii: "\r"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") { index += 1 }
            } else {
                current.append(byte)
            }
            index += 1
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }
}
