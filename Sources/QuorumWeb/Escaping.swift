/// The site's one escaper for text put into HTML or XML by Swift code (templates escape through Mustache).
public enum Escaping {
    /// `&`, `<`, `>`, `"` and `'` as entities, safe in element content and in quoted attributes of HTML and XML.
    /// With `forXML`, characters XML 1.0 forbids (most control characters) are dropped as well.
    public static func html(_ text: String, forXML: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if forXML, character.unicodeScalars.count == 1, let scalar = character.unicodeScalars.first,
                   scalar.value < 0x20 && scalar.value != 0x9 && scalar.value != 0xA && scalar.value != 0xD {
                    continue
                }
                out.append(character)
            }
        }
        return out
    }
}
