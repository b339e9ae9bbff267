import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing

@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

// MARK: - Message rendering

@Suite("MailMessage rendering")
struct MailMessageTests {
    /// 2025-07-01 09:05:03 UTC, a Tuesday.
    let date = Date(timeIntervalSince1970: 1_751_360_703)

    func headerLines(_ rendered: String) -> [String] {
        let head = rendered.components(separatedBy: "\r\n\r\n").first ?? ""
        return head.components(separatedBy: "\r\n")
    }

    /// Unfolded headers, name → value.
    func headers(_ rendered: String) -> [(String, String)] {
        var result: [(String, String)] = []
        for line in headerLines(rendered) {
            if line.hasPrefix(" ") || line.hasPrefix("\t") {
                result[result.count - 1].1 += line
            } else if let colon = line.firstIndex(of: ":") {
                result.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
            }
        }
        return result
    }

    @Test func rendersHeadersWithCRLFOnly() {
        let message = MailMessage(
            from: MailAddress("desk@quorum.example", name: "Quorum Desk"), to: "reader@example.org",
            subject: "Your sign-in link", textBody: "Hello\nthere\n"
        )
        let rendered = message.render(messageID: "abc123@quorum.example", date: date)
        let names = headers(rendered).map(\.0)
        #expect(names == ["Date", "Message-ID", "From", "To", "Subject", "MIME-Version", "Content-Type", "Content-Transfer-Encoding"])
        #expect(rendered.hasPrefix("Date: Tue, 01 Jul 2025 09:05:03 +0000\r\nMessage-ID: <abc123@quorum.example>\r\n"))
        #expect(rendered.contains("\r\nFrom: Quorum Desk <desk@quorum.example>\r\nTo: reader@example.org\r\n"))
        #expect(rendered.contains("\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHello\r\nthere\r\n"))
        // No bare CR or LF anywhere.
        #expect(!rendered.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(!rendered.replacingOccurrences(of: "\r\n", with: "").contains("\r"))
        #expect(rendered.hasSuffix("\r\n"))
    }

    @Test func dateFormat() {
        #expect(MailMessage.formatDate(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(MailMessage.formatDate(Date(timeIntervalSince1970: 1_709_164_800)) == "Thu, 29 Feb 2024 00:00:00 +0000")
    }

    @Test func quotedPrintableEscapes() {
        #expect(MailMessage.quotedPrintable("a=b") == "a=3Db")
        #expect(MailMessage.quotedPrintable("café") == "caf=C3=A9")
        #expect(MailMessage.quotedPrintable("trailing space \nand tab\t") == "trailing space=20\r\nand tab=09")
        #expect(MailMessage.quotedPrintable("one\r\ntwo\rthree\nfour") == "one\r\ntwo\r\nthree\r\nfour")
        #expect(MailMessage.quotedPrintable(".\n.leading") == ".\r\n.leading")
    }

    @Test func quotedPrintableLinesStayWithin76AndDecodeBack() throws {
        let text = String(repeating: "Grüße aus Köln — ", count: 20) + "\n" + String(repeating: "x", count: 200) + "\n"
            + String(repeating: "=", count: 80) + "\n" + String(repeating: "日本語", count: 40) + " \n\nend"
        let encoded = MailMessage.quotedPrintable(text)
        for line in encoded.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 76, "line of \(line.utf8.count): \(line)")
            #expect(line.utf8.allSatisfy { $0 < 0x80 })
            #expect(!line.hasSuffix(" ") && !line.hasSuffix("\t"))
        }
        #expect(try decodeQuotedPrintable(encoded) == text.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    @Test func asciiSubjectStaysReadable() {
        #expect(MailMessage.encodeText("Your sign-in link") == "Your sign-in link")
    }

    @Test func nonASCIISubjectBecomesEncodedWords() throws {
        let subject = "Grüße aus Köln — 日本語のニュース ✓ " + String(repeating: "ä", count: 60)
        let rendered = MailMessage(from: "a@quorum.example", to: "b@example.org", subject: subject, textBody: "x")
            .render(messageID: "1@q", date: date)
        for line in headerLines(rendered) { #expect(line.count <= 78, "header line too long: \(line)") }
        let value = try #require(headers(rendered).first { $0.0 == "Subject" }?.1)
        let words = value.split(separator: " ")
        #expect(words.count > 1)
        for word in words {
            #expect(word.hasPrefix("=?utf-8?B?") && word.hasSuffix("?="))
            #expect(word.count <= 75)
        }
        #expect(try decodeEncodedWords(value) == subject)
    }

    @Test func textThatLooksLikeAnEncodedWordIsEncoded() throws {
        let encoded = MailMessage.encodeText("=?utf-8?B?SGk=?=")
        #expect(encoded.hasPrefix("=?utf-8?B?"))
        #expect(try decodeEncodedWords(encoded) == "=?utf-8?B?SGk=?=")
    }

    @Test func displayNames() throws {
        #expect(MailMessage.format(MailAddress("a@b.org")) == "a@b.org")
        #expect(MailMessage.format(MailAddress("a@b.org", name: "Jane Doe")) == "Jane Doe <a@b.org>")
        #expect(MailMessage.format(MailAddress("a@b.org", name: "Doe, Jane")) == "\"Doe, Jane\" <a@b.org>")
        #expect(MailMessage.format(MailAddress("a@b.org", name: "The \"Desk\" \\ Team")) == "\"The \\\"Desk\\\" \\\\ Team\" <a@b.org>")
        let encoded = MailMessage.format(MailAddress("zoe@b.org", name: "Zoë Ångström"))
        #expect(encoded.hasPrefix("=?utf-8?B?") && encoded.hasSuffix(" <zoe@b.org>"))
        #expect(try decodeEncodedWords(String(encoded.dropLast(" <zoe@b.org>".count))) == "Zoë Ångström")
        #expect(MailAddress("a@b.org", name: "Jane").description == "Jane <a@b.org>")
    }

    @Test func headerInjectionIsImpossible() {
        let message = MailMessage(
            from: MailAddress("desk@quorum.example", name: "Desk\r\nBcc: evil@x.org"),
            to: [MailAddress("reader@example.org>\r\nBcc: evil@x.org", name: nil)],
            subject: "Hi\r\nBcc: x@y",
            textBody: "body",
            replyTo: MailAddress("r@quorum.example\nCc: evil@x.org"),
            headers: [(name: "X-Campaign", value: "a\r\nBcc: evil@x.org"), (name: "Bad Name:\r\nBcc", value: "v")]
        )
        let rendered = message.render(messageID: "id@q>\r\nBcc: evil@x.org", date: date)
        let lines = headerLines(rendered)
        #expect(!lines.contains { $0.lowercased().hasPrefix("bcc") || $0.lowercased().hasPrefix("cc:") })
        #expect(lines.allSatisfy { !$0.contains("\r") && !$0.contains("\n") })
        #expect(headers(rendered).first { $0.0 == "Subject" }?.1 == "Hi Bcc: x@y")
        #expect(headers(rendered).first { $0.0 == "Message-ID" }?.1 == "<id@qBcc:evil@x.org>")
        #expect(!headers(rendered).contains { $0.0 == "Bad Name" })
    }

    @Test func extraHeaders() {
        let message = MailMessage(
            from: "a@quorum.example", to: "b@example.org", subject: "s", textBody: "t",
            headers: [
                (name: "List-Unsubscribe", value: "<https://quorum.example/u/1>"),
                (name: "Auto-Submitted", value: "auto-generated"),
                (name: "Content-Type", value: "text/html"),
                (name: "X-Note", value: "naïve"),
            ]
        )
        let all = headers(message.render(messageID: "1@q", date: date))
        #expect(all.filter { $0.0 == "Content-Type" }.map(\.1) == ["text/plain; charset=utf-8"])
        #expect(all.contains { $0 == ("List-Unsubscribe", "<https://quorum.example/u/1>") })
        #expect(all.contains { $0 == ("Auto-Submitted", "auto-generated") })
        #expect(all.first { $0.0 == "X-Note" }?.1.hasPrefix("=?utf-8?B?") == true)
    }

    @Test func multipartAlternativeWithHTML() throws {
        let message = MailMessage(
            from: "a@quorum.example", to: ["b@example.org", MailAddress("c@example.org", name: "C")],
            subject: "s", textBody: "plain é", htmlBody: "<p>html é</p>", replyTo: "r@quorum.example"
        )
        let rendered = message.render(messageID: "m1@quorum.example", date: date)
        let boundary = MailMessage.boundary(for: "m1@quorum.example")
        #expect(boundary.hasPrefix("=_"))
        #expect(rendered.contains("Content-Type: multipart/alternative; boundary=\"\(boundary)\"\r\n"))
        #expect(rendered.contains("To: b@example.org, C <c@example.org>\r\n"))
        #expect(rendered.contains("Reply-To: r@quorum.example\r\n"))
        let body = try #require(rendered.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n") as String?)
        #expect(body.hasPrefix("--\(boundary)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nplain =C3=A9\r\n"))
        #expect(body.contains("--\(boundary)\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>html =C3=A9</p>\r\n--\(boundary)--\r\n"))
        #expect(!rendered.contains("Content-Transfer-Encoding: quoted-printable\r\nMIME"))
        // A trailing line break survives: the CRLF before a boundary belongs to the boundary.
        let withBreak = MailMessage(from: "a@quorum.example", to: "b@example.org", subject: "s", textBody: "t\r\n", htmlBody: "<p>h</p>\n")
            .render(messageID: "m1@quorum.example", date: date)
        #expect(withBreak.contains("\r\n\r\nt\r\n\r\n--\(boundary)\r\n"))
        #expect(withBreak.contains("\r\n\r\n<p>h</p>\r\n\r\n--\(boundary)--\r\n"))
    }

    @Test func envelopeFromMessage() {
        let message = MailMessage(
            from: MailAddress("desk@quorum.example", name: "Desk"),
            to: [MailAddress("a@example.org", name: "A"), "b@example.org"], subject: "s", textBody: "t"
        )
        let envelope = message.envelope(messageID: "1@q", date: date)
        #expect(envelope.from == "desk@quorum.example")
        #expect(envelope.recipients == ["a@example.org", "b@example.org"])
        #expect(envelope.data == message.render(messageID: "1@q", date: date))
        #expect(MailMessage.makeMessageID(domain: "quorum.example").hasSuffix("@quorum.example"))
    }
}

// MARK: - Protocol pieces

@Suite("SMTP protocol pieces")
struct SMTPPiecesTests {
    func string(_ buffer: ByteBuffer) -> String { String(buffer: buffer) }

    @Test func dataIsDotStuffedWithCRLFAndTerminated() {
        #expect(string(SMTPClient.encodeData("a\nb\n")) == "a\r\nb\r\n.\r\n")
        #expect(string(SMTPClient.encodeData("a\r\nb")) == "a\r\nb\r\n.\r\n")
        #expect(string(SMTPClient.encodeData(".\n.leading\n..two\nmiddle.\n")) == "..\r\n..leading\r\n...two\r\nmiddle.\r\n.\r\n")
        #expect(string(SMTPClient.encodeData("a\r\rb")) == "a\r\n\r\nb\r\n.\r\n")
        #expect(string(SMTPClient.encodeData("")) == ".\r\n")
    }

    @Test func envelopeValidation() {
        let ok = SMTPEnvelope(from: "a@b.org", recipients: ["c@d.org"], data: "x")
        #expect(throws: Never.self) { try SMTPClient.validate(ok) }
        #expect(throws: Never.self) { try SMTPClient.validate(SMTPEnvelope(from: "", recipients: ["c@d.org"], data: "x")) }
        for bad in [
            SMTPEnvelope(from: "a@b.org", recipients: [], data: "x"),
            SMTPEnvelope(from: "a@b.org", recipients: [""], data: "x"),
            SMTPEnvelope(from: "a@b.org>\r\nRCPT TO:<evil@x.org", recipients: ["c@d.org"], data: "x"),
            SMTPEnvelope(from: "a@b.org", recipients: ["c@d.org>"], data: "x"),
            SMTPEnvelope(from: "a@b.org", recipients: ["c@d.org\nDATA"], data: "x"),
        ] {
            #expect {
                try SMTPClient.validate(bad)
            } throws: { error in
                guard let error = error as? SMTPError, case .invalidEnvelope = error else { return false }
                return error.isPermanent
            }
        }
    }

    @Test func permanence() {
        let temporaryReply = SMTPReply(code: 451, lines: ["later"])
        let permanentReply = SMTPReply(code: 550, lines: ["no"])
        #expect(SMTPError.rejected(stage: .message, reply: permanentReply).isPermanent)
        #expect(!SMTPError.rejected(stage: .message, reply: temporaryReply).isPermanent)
        #expect(SMTPError.recipientRejected(recipient: "a@b", reply: permanentReply).isPermanent)
        #expect(!SMTPError.recipientRejected(recipient: "a@b", reply: temporaryReply).isPermanent)
        #expect(!SMTPError.connectionFailed(host: "h", port: 1, reason: "refused").isPermanent)
        #expect(!SMTPError.timeout(stage: .greeting).isPermanent)
        #expect(!SMTPError.connectionLost(stage: .data, reason: "x").isPermanent)
        #expect(!SMTPError.tlsFailed(stage: .ehlo, reason: "x").isPermanent)
        #expect(SMTPError.startTLSNotOffered.isPermanent)
        #expect(SMTPError.authenticationUnavailable(offered: ["CRAM-MD5"]).isPermanent)
        #expect(SMTPError.credentialsRequireEncryption(host: "h").isPermanent)
    }

    @Test func configurationNeverShowsThePassword() {
        let configuration = SMTPConfiguration(host: "smtp.example.org", username: "desk", password: "hunter2-secret")
        #expect(!"\(configuration)".contains("hunter2-secret"))
        #expect(!String(reflecting: configuration).contains("hunter2-secret"))
        #expect("\(configuration)".contains("smtp.example.org:587"))
    }
}

// MARK: - Against a real SMTP server

@Suite("SMTP client against aiosmtpd", .serialized)
struct SMTPClientTests {
    let date = Date(timeIntervalSince1970: 1_751_360_703)

    func client(_ sink: SMTPSink, security: SMTPConfiguration.Security = .none, username: String? = nil, password: String? = nil,
                trust: SMTPConfiguration.Trust = .insecureNoVerify, logger: Logger = Logger(label: "quorum.smtp.test")) -> SMTPClient {
        SMTPClient(
            configuration: SMTPConfiguration(
                host: "127.0.0.1", port: sink.port, security: security, username: username, password: password,
                heloName: "quorum.test", timeout: .seconds(10), trust: trust
            ),
            logger: logger
        )
    }

    func message(subject: String = "Your sign-in link", text: String = "Hello", html: String? = nil, to: [MailAddress] = ["reader@example.org"]) -> MailMessage {
        MailMessage(from: MailAddress("desk@quorum.example", name: "Quorum Desk"), to: to, subject: subject, textBody: text, htmlBody: html)
    }

    /// Runs `body` and returns the SMTPError it throws (failing the test when it throws nothing or something else).
    func smtpError(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> SMTPError? {
        do {
            try await body()
            Issue.record("expected an SMTPError, nothing was thrown", sourceLocation: sourceLocation)
        } catch let error as SMTPError {
            return error
        } catch {
            Issue.record("expected an SMTPError, got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    @Test func plainDeliveryIsParsedBack() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let mail = message(text: "Hello,\n\nyour code is 123456.\n", html: "<p>Hello, your code is <b>123456</b>.</p>")
        try await client(sink).send(mail.envelope(messageID: "plain-1@quorum.example", date: date))

        let received = try sink.onlyMessage()
        #expect(received.mail_from == "desk@quorum.example")
        #expect(received.rcpt_tos == ["reader@example.org"])
        #expect(received.helo == "quorum.test")
        #expect(received.tls == false)
        #expect(received.subject == "Your sign-in link")
        #expect(received.from == "Quorum Desk <desk@quorum.example>")
        #expect(received.to == "reader@example.org")
        #expect(received.content_type == "multipart/alternative")
        #expect(received.text == "Hello,\n\nyour code is 123456.\n")
        #expect(received.html == "<p>Hello, your code is <b>123456</b>.</p>")
        #expect(received.header("Message-ID") == ["<plain-1@quorum.example>"])
        #expect(received.header("Date") == ["Tue, 01 Jul 2025 09:05:03 +0000"])
        #expect(received.defects.isEmpty, "\(received.defects)")
    }

    @Test func dotStuffingRoundTrip() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let text = "first\n.\n.leading dot\n..two dots\n.\r\nlast line ."
        try await client(sink).send(message(text: text).envelope(messageID: "dots@q", date: date))
        // And raw data, where a lone "." line would otherwise end DATA early.
        let raw = "Subject: raw\r\n\r\nbefore\r\n.\r\n.leading\r\nafter\r\n"
        try await client(sink).send(SMTPEnvelope(from: "desk@quorum.example", recipients: ["r@example.org"], data: raw))

        let all = try sink.messages()
        try #require(all.count == 2)
        #expect(all[0].text == "first\n.\n.leading dot\n..two dots\n.\nlast line .\n")
        #expect(all[1].data == raw)
        #expect(all[1].text == "before\n.\n.leading\nafter\n")
    }

    @Test func nonASCIISubjectAndBodyRoundTrip() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let subject = "Grüße aus Köln — 日本語のニュース ✓ 🗞️ " + String(repeating: "é", count: 50)
        let text = "Zoë wrote: « naïve café » 🗞️\n" + String(repeating: "Ünïcödé ", count: 30) + "\n= equals =\ntrailing space \n"
        let mail = MailMessage(
            from: MailAddress("desk@quorum.example", name: "Rédaction Zoë"), to: [MailAddress("reader@example.org", name: "Jürgen")],
            subject: subject, textBody: text
        )
        try await client(sink).send(mail.envelope(messageID: "utf8@q", date: date))

        let received = try sink.onlyMessage()
        #expect(received.subject == subject)
        #expect(received.text == text)
        #expect(received.from == "Rédaction Zoë <desk@quorum.example>")
        #expect(received.to == "Jürgen <reader@example.org>")
        #expect(received.defects.isEmpty, "\(received.defects)")
        // What travelled is 7-bit with short lines.
        for line in received.data.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 78, "\(line)")
            #expect(line.utf8.allSatisfy { $0 < 0x80 })
        }
    }

    @Test func multipleRecipients() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let recipients = ["a@example.org", "b@example.org", "c@example.net"]
        let mail = message(to: recipients.map { MailAddress($0) })
        try await client(sink).send(mail.envelope(messageID: "many@q", date: date))
        // Envelope recipients that are not in the headers (Bcc).
        try await client(sink).send(SMTPEnvelope(from: "desk@quorum.example", recipients: ["hidden@example.org", "b@example.org"], data: mail.render(messageID: "bcc@q", date: date)))

        let all = try sink.messages()
        try #require(all.count == 2)
        #expect(all[0].rcpt_tos == recipients)
        #expect(all[0].to == "a@example.org, b@example.org, c@example.net")
        #expect(all[1].rcpt_tos == ["hidden@example.org", "b@example.org"])
        #expect(!all[1].data.contains("hidden@example.org"))
    }

    @Test func startTLSWithAuthPlain() async throws {
        let sink = try await SMTPSink.start(.init(startTLS: true, auth: "desk:s3cret-pass"))
        defer { sink.stop() }
        // Verified against the sink's own certificate, with host name (IP) checking.
        let smtp = client(sink, security: .startTLS, username: "desk", password: "s3cret-pass", trust: .certificateFile(sink.certificatePath))
        try await smtp.send(message().envelope(messageID: "tls-plain@q", date: date))

        let received = try sink.onlyMessage()
        #expect(received.tls)
        #expect(received.auth?.login == "desk")
        #expect(received.auth?.mechanism == "PLAIN")
        #expect(received.helo == "quorum.test")
    }

    @Test func startTLSWithAuthLogin() async throws {
        let sink = try await SMTPSink.start(.init(startTLS: true, auth: "desk:s3cret-pass", authMechanisms: "LOGIN"))
        defer { sink.stop() }
        try await client(sink, security: .startTLS, username: "desk", password: "s3cret-pass")
            .send(message().envelope(messageID: "tls-login@q", date: date))

        let received = try sink.onlyMessage()
        #expect(received.tls)
        #expect(received.auth?.mechanism == "LOGIN")
    }

    @Test(arguments: ["PLAIN", "LOGIN"])
    func wrongPasswordIsPermanent(mechanism: String) async throws {
        let sink = try await SMTPSink.start(.init(startTLS: true, auth: "desk:s3cret-pass", authMechanisms: mechanism))
        defer { sink.stop() }
        let error = await smtpError {
            try await client(sink, security: .startTLS, username: "desk", password: "wrong")
                .send(message().envelope(messageID: "wrong@q", date: date))
        }
        guard case .rejected(.auth, let reply)? = error else {
            Issue.record("expected an AUTH rejection, got \(String(describing: error))")
            return
        }
        #expect(reply.code == 535)
        #expect(error?.isPermanent == true)
        #expect(try sink.messages().isEmpty)
    }

    @Test func implicitTLS() async throws {
        let sink = try await SMTPSink.start(.init(implicitTLS: true, auth: "desk:s3cret-pass"))
        defer { sink.stop() }
        try await client(sink, security: .implicitTLS, username: "desk", password: "s3cret-pass", trust: .certificateFile(sink.certificatePath))
            .send(message().envelope(messageID: "implicit@q", date: date))
        let received = try sink.onlyMessage()
        #expect(received.tls)
        #expect(received.auth?.mechanism == "PLAIN")
    }

    @Test func untrustedCertificateIsATLSFailure() async throws {
        let sink = try await SMTPSink.start(.init(startTLS: true))
        defer { sink.stop() }
        let error = await smtpError {
            try await client(sink, security: .startTLS, trust: .system).send(message().envelope(messageID: "untrusted@q", date: date))
        }
        guard case .tlsFailed? = error else {
            Issue.record("expected a TLS failure, got \(String(describing: error))")
            return
        }
        #expect(error?.isPermanent == false)
        #expect(try sink.messages().isEmpty)
    }

    @Test func startTLSMustBeOffered() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let error = await smtpError {
            try await client(sink, security: .startTLS).send(message().envelope(messageID: "nostarttls@q", date: date))
        }
        guard case .startTLSNotOffered? = error else {
            Issue.record("expected startTLSNotOffered, got \(String(describing: error))")
            return
        }
        #expect(error?.isPermanent == true)
    }

    @Test func credentialsOverPlainTextOnlyToLoopback() async throws {
        let sink = try await SMTPSink.start(.init(auth: "desk:s3cret-pass"))
        defer { sink.stop() }
        try await client(sink, username: "desk", password: "s3cret-pass").send(message().envelope(messageID: "loop@q", date: date))
        #expect(try sink.onlyMessage().auth?.mechanism == "PLAIN")
    }

    /// An address of this machine that is not loopback, if it has one.
    static let nonLoopbackIPv4: String? = (try? System.enumerateDevices())?
        .compactMap { device -> String? in
            guard case .v4? = device.address, let ip = device.address?.ipAddress, !ip.hasPrefix("127.") else { return nil }
            return ip
        }.first

    @Test(.enabled(if: nonLoopbackIPv4 != nil, "needs a non-loopback IPv4 address"))
    func credentialsAreNeverSentInPlainTextToAnotherHost() async throws {
        let ip = try #require(Self.nonLoopbackIPv4)
        let sink = try await SMTPSink.start(.init(auth: "desk:s3cret-pass", host: ip))
        defer { sink.stop() }
        let smtp = SMTPClient(configuration: SMTPConfiguration(
            host: ip, port: sink.port, security: .none, username: "desk", password: "s3cret-pass", timeout: .seconds(10)
        ))
        let error = await smtpError { try await smtp.send(message().envelope(messageID: "remote@q", date: date)) }
        guard case .credentialsRequireEncryption? = error else {
            Issue.record("expected credentialsRequireEncryption, got \(String(describing: error))")
            return
        }
        #expect(error?.isPermanent == true)
        #expect(try sink.messages().isEmpty)
    }

    @Test func heloWhenEHLOIsRefused() async throws {
        let sink = try await SMTPSink.start(.init(noEHLO: true))
        defer { sink.stop() }
        try await client(sink).send(message().envelope(messageID: "helo@q", date: date))
        #expect(try sink.onlyMessage().helo == "quorum.test")
    }

    @Test func serverRequiringAuthWithoutCredentials() async throws {
        let sink = try await SMTPSink.start(.init(auth: "desk:s3cret-pass"))
        defer { sink.stop() }
        let error = await smtpError { try await client(sink).send(message().envelope(messageID: "noauth@q", date: date)) }
        guard case .rejected(.mailFrom, let reply)? = error else {
            Issue.record("expected MAIL FROM to be refused, got \(String(describing: error))")
            return
        }
        #expect(reply.code == 530)
        #expect(error?.isPermanent == true)
    }

    @Test func rejectedRecipientIsPermanentAndNamed() async throws {
        let sink = try await SMTPSink.start(.init(rejectRecipients: ["nobody@example.org"]))
        defer { sink.stop() }
        let error = await smtpError {
            try await client(sink).send(SMTPEnvelope(
                from: "desk@quorum.example", recipients: ["reader@example.org", "nobody@example.org"],
                data: message().render(messageID: "rcpt@q", date: date)
            ))
        }
        guard case .recipientRejected(let recipient, let reply)? = error else {
            Issue.record("expected a recipient rejection, got \(String(describing: error))")
            return
        }
        #expect(recipient == "nobody@example.org")
        #expect(reply.code == 550)
        #expect(error?.isPermanent == true)
        #expect(error?.description.contains("nobody@example.org") == true)
        #expect(try sink.messages().isEmpty)
    }

    @Test(arguments: [451, 554])
    func dataRefused(code: Int) async throws {
        let sink = try await SMTPSink.start(.init(failData: code))
        defer { sink.stop() }
        let error = await smtpError { try await client(sink).send(message().envelope(messageID: "data@q", date: date)) }
        guard case .rejected(.message, let reply)? = error else {
            Issue.record("expected the message to be refused, got \(String(describing: error))")
            return
        }
        #expect(reply.code == code)
        #expect(error?.isPermanent == (code >= 500))
    }

    @Test func serverDownIsTemporary() async throws {
        // A port that was free a moment ago and has nobody listening.
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        let smtp = SMTPClient(configuration: SMTPConfiguration(host: "127.0.0.1", port: port, security: .none, timeout: .seconds(5)))
        let error = await smtpError { try await smtp.send(message().envelope(messageID: "down@q", date: date)) }
        guard case .connectionFailed(_, let failedPort, _)? = error else {
            Issue.record("expected connectionFailed, got \(String(describing: error))")
            return
        }
        #expect(failedPort == port)
        #expect(error?.isPermanent == false)
    }

    @Test func silentServerTimesOut() async throws {
        // Accepts connections and never says a word.
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        defer { channel.close(promise: nil) }
        let port = try #require(channel.localAddress?.port)
        let smtp = SMTPClient(configuration: SMTPConfiguration(host: "127.0.0.1", port: port, security: .none, timeout: .milliseconds(800)))
        let clock = ContinuousClock()
        let started = clock.now
        let error = await smtpError { try await smtp.send(message().envelope(messageID: "silent@q", date: date)) }
        let elapsed = clock.now - started
        guard case .timeout(.greeting)? = error else {
            Issue.record("expected a timeout at the greeting, got \(String(describing: error))")
            return
        }
        #expect(error?.isPermanent == false)
        #expect(elapsed >= .milliseconds(700))
        #expect(elapsed < .seconds(5))
    }

    @Test func headerInjectionInSubjectCreatesNoHeader() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        try await client(sink).send(message(subject: "Hi\r\nBcc: x@y").envelope(messageID: "inject@q", date: date))
        let received = try sink.onlyMessage()
        #expect(received.header("Bcc").isEmpty)
        #expect(received.subject == "Hi Bcc: x@y")
        #expect(received.rcpt_tos == ["reader@example.org"])
    }

    @Test func logsCarryNoSecretsOrContent() async throws {
        let sink = try await SMTPSink.start(.init(startTLS: true, auth: "desk:s3cret-pass"))
        defer { sink.stop() }
        let (logger, store) = SMTPTestLogHandler.logger()
        let body = "Your code is 987654 and your link is https://quorum.example/signin/tok-abcdef"
        try await client(sink, security: .startTLS, username: "desk", password: "s3cret-pass", logger: logger)
            .send(message(text: body).envelope(messageID: "logs@q", date: date))
        // And a failure, which is logged too.
        _ = try? await client(sink, security: .startTLS, username: "desk", password: "wrong-s3cret", logger: logger)
            .send(message(text: body).envelope(messageID: "logs2@q", date: date))

        let lines = store.lines
        #expect(lines.contains { $0.contains("smtp.stage=auth") && $0.contains("smtp.code=235") })
        #expect(lines.contains { $0.contains("smtp.error=rejected(auth, 535)") })
        let secrets = ["s3cret-pass", "wrong-s3cret", Data("\u{0}desk\u{0}s3cret-pass".utf8).base64EncodedString(),
                       Data("s3cret-pass".utf8).base64EncodedString(), "987654", "tok-abcdef", "reader@example.org", "Your sign-in link"]
        for secret in secrets {
            #expect(!lines.contains { $0.contains(secret) }, "a log line contains \(secret)")
        }
    }
}

// MARK: - Decoders for the checks above

private struct DecodeError: Error {}

/// Decodes quoted-printable (soft breaks removed, =XX turned into bytes) and returns UTF-8 text.
private func decodeQuotedPrintable(_ text: String) throws -> String {
    let bytes = Array(text.utf8)
    var out: [UInt8] = []
    var index = 0
    while index < bytes.count {
        if bytes[index] == UInt8(ascii: "=") {
            if index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "\r"), bytes[index + 2] == UInt8(ascii: "\n") {
                index += 3
                continue
            }
            guard index + 2 < bytes.count, let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16) else {
                throw DecodeError()
            }
            out.append(value)
            index += 3
        } else {
            out.append(bytes[index])
            index += 1
        }
    }
    guard let string = String(validating: out, as: UTF8.self) else { throw DecodeError() }
    return string
}

/// Decodes a run of "=?utf-8?B?...?=" words separated by spaces (the spaces between words are dropped).
private func decodeEncodedWords(_ text: String) throws -> String {
    var bytes: [UInt8] = []
    for word in text.split(separator: " ") {
        guard word.hasPrefix("=?utf-8?B?"), word.hasSuffix("?="),
              let data = Data(base64Encoded: String(word.dropFirst(10).dropLast(2)))
        else { throw DecodeError() }
        bytes += data
    }
    guard let string = String(validating: bytes, as: UTF8.self) else { throw DecodeError() }
    return string
}
