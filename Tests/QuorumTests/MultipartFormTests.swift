import Foundation
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb
import Testing

@Suite("Multipart form parsing")
struct MultipartFormTests {
    static func body(_ text: String) -> [UInt8] { Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8) }

    @Test func boundariesAreReadFromQuotedOrPlainParameters() throws {
        #expect(try MultipartForm.boundary(contentType: "multipart/form-data; boundary=abc123") == "abc123")
        #expect(try MultipartForm.boundary(contentType: "Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b:c;d\"") == "a b:c;d")
        #expect(throws: RequestError.self) { try MultipartForm.boundary(contentType: "multipart/form-data") }
        #expect(throws: RequestError.self) { try MultipartForm.boundary(contentType: "multipart/form-data; boundary=\"\"") }
        #expect(throws: RequestError.self) { try MultipartForm.boundary(contentType: "multipart/form-data; boundary=" + String(repeating: "x", count: 71)) }
        let wrongType = #expect(throws: RequestError.self) { try MultipartForm.boundary(contentType: "application/json; boundary=x") }
        #expect(wrongType?.status == .unsupportedMediaType)
    }

    @Test func fieldsAndFilesArriveIntactWhateverTheyContain() throws {
        // The boundary may appear in content when no CRLF comes before it; a cut-short delimiter may too.
        let file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 13, 10] + Array("x--XYZ\r\n--XY".utf8) + [0, 255, 13, 10]
        let bytes = Self.body("""
        a preamble to ignore
        --XYZ
        Content-Disposition: form-data; name="caption"

        Two lines,
        -- and dashes
        --XYZ
        content-disposition: form-data; name="image"; filename="say \\"cheese\\".png"
        Content-Type: image/png


        """) + file + Self.body("""

        --XYZ
        Content-Disposition: form-data; name="empty"


        --XYZ--
        an epilogue to ignore
        """)
        let form = try MultipartForm.parse(bytes, boundary: "XYZ")
        #expect(!form.truncated)
        #expect(form.parts.count == 3)
        #expect(form["caption"] == "Two lines,\r\n-- and dashes")
        #expect(form["empty"] == "")
        #expect(form["image"] == nil, "a file is not a text field")
        let image = try #require(form.file("image"))
        #expect(image.filename == "say \"cheese\".png")
        #expect(image.contentType == "image/png")
        #expect(image.body == file)
    }

    @Test func aBodyCutShortKeepsThePartsThatArrivedWhole() throws {
        let bytes = Self.body("""
        --B
        Content-Disposition: form-data; name="csrf"

        token
        --B
        Content-Disposition: form-data; name="alt"

        Boats at dawn
        --B
        Content-Disposition: form-data; name="image"; filename="big.jpg"

        \u{FF}\u{FF}\u{FF}and much more
        """)
        let form = try MultipartForm.parse(bytes, boundary: "B", truncated: true)
        #expect(form.truncated)
        #expect(form["csrf"] == "token")
        #expect(form["alt"] == "Boats at dawn")
        #expect(form.file("image") == nil)
        // The same body complete but without its closing delimiter is malformed.
        #expect(throws: RequestError.self) { try MultipartForm.parse(bytes, boundary: "B") }
    }

    @Test func malformedBodiesAreRefused() {
        let cases = [
            "no boundary at all",
            "--B\nContent-Disposition: form-data; name=\"a\"\n\nvalue",
            "--B\nContent-Type: text/plain\n\nvalue\n--B--",
            "--B\nContent-Disposition: attachment; name=\"a\"\n\nvalue\n--B--",
            "--B\nNo colon here\n\nvalue\n--B--",
            "--Bjunk\nContent-Disposition: form-data; name=\"a\"\n\nvalue\n--B--",
            "--B\nContent-Disposition: form-data; name=\"a\"",
        ]
        for text in cases {
            let error = #expect(throws: RequestError.self, "\(text)") { try MultipartForm.parse(Self.body(text), boundary: "B") }
            #expect(error?.status == .badRequest)
        }
        let many = (0...MultipartForm.maximumParts).map { "--B\nContent-Disposition: form-data; name=\"f\($0)\"\n\nx\n" }.joined() + "--B--"
        #expect(throws: RequestError.self) { try MultipartForm.parse(Self.body(many), boundary: "B") }
    }

    @Test func fileNamesAreReducedToSomethingSafeToShow() {
        func safe(_ name: String) -> String? { MultipartForm.Part(name: "image", filename: name, body: []).safeFileName }
        #expect(safe("../../../etc/passwd") == "passwd")
        #expect(safe("C:\\Users\\ed\\harbour.png") == "harbour.png")
        #expect(safe("line\r\nbreak\u{0}.png") == "linebreak.png")
        #expect(safe("../") == nil)
        #expect(safe(String(repeating: "a", count: 500))?.count == 200)
    }
}
