import Foundation

/// A small PNG writer for the demo's generated pictures: 8-bit RGB, each row filtered with "Up", compressed
/// with a run-length-only deflate (fixed Huffman codes, distance 1). Flat and gently graded pictures come out
/// a few kilobytes; no compression library is needed.
public enum PNGEncoder {
    /// `pixels` holds width × height RGB triples, row by row.
    public static func encode(width: Int, height: Int, pixels: [UInt8]) -> [UInt8] {
        precondition(pixels.count == width * height * 3)
        let stride = width * 3
        var raw: [UInt8] = []
        raw.reserveCapacity((stride + 1) * height)
        for y in 0..<height {
            raw.append(2) // Up: each byte minus the byte above
            let row = y * stride
            for x in 0..<stride {
                let above = y == 0 ? 0 : pixels[row - stride + x]
                raw.append(pixels[row + x] &- above)
            }
        }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        header += bigEndian(UInt32(width))
        header += bigEndian(UInt32(height))
        header += [8, 2, 0, 0, 0]
        chunk("IHDR", header, into: &png)
        chunk("IDAT", zlib(raw), into: &png)
        chunk("IEND", [], into: &png)
        return png
    }

    static func chunk(_ type: String, _ data: [UInt8], into png: inout [UInt8]) {
        png += bigEndian(UInt32(data.count))
        let typed = Array(type.utf8) + data
        png += typed
        png += bigEndian(crc32(typed))
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return (b << 16) | a
    }

    /// zlib stream: header, one fixed-Huffman deflate block of literals and distance-1 runs, Adler-32.
    static func zlib(_ data: [UInt8]) -> [UInt8] {
        var bits = BitWriter()
        bits.write(1, count: 1) // final block
        bits.write(1, count: 2) // fixed Huffman codes
        var i = 0
        while i < data.count {
            let byte = data[i]
            bits.literal(Int(byte))
            var run = 0
            while i + 1 + run < data.count, data[i + 1 + run] == byte { run += 1 }
            var left = run
            while left >= 3 {
                let length = left >= 258 ? 258 : min(left, 10)
                bits.match(length: length)
                left -= length
            }
            for _ in 0..<left { bits.literal(Int(byte)) }
            i += 1 + run
        }
        bits.code(0, length: 7) // end of block (256)
        return [0x78, 0x01] + bits.bytes() + bigEndian(adler32(data))
    }

    struct BitWriter {
        var buffer: [UInt8] = []
        var current: UInt32 = 0
        var filled = 0

        /// Writes `count` bits of `value`, least significant first (deflate's bit order for non-Huffman fields).
        mutating func write(_ value: UInt32, count: Int) {
            for bit in 0..<count {
                current |= ((value >> UInt32(bit)) & 1) << UInt32(filled)
                filled += 1
                if filled == 8 {
                    buffer.append(UInt8(current))
                    current = 0
                    filled = 0
                }
            }
        }

        /// Writes a Huffman code, most significant bit first.
        mutating func code(_ code: UInt32, length: Int) {
            for bit in stride(from: length - 1, through: 0, by: -1) { write((code >> UInt32(bit)) & 1, count: 1) }
        }

        mutating func literal(_ value: Int) {
            if value < 144 { code(UInt32(0x30 + value), length: 8) } else { code(UInt32(0x190 + value - 144), length: 9) }
        }

        /// A copy of the previous byte, `length` times: lengths 3–10 (codes 257–264) and 258 (code 285), distance 1.
        mutating func match(length: Int) {
            if length == 258 {
                code(UInt32(0xC0 + 285 - 280), length: 8)
            } else {
                code(UInt32(257 + length - 3 - 256), length: 7)
            }
            code(0, length: 5) // distance code 0: distance 1
        }

        func bytes() -> [UInt8] { filled > 0 ? buffer + [UInt8(current)] : buffer }
    }
}

/// Simple generated scenes for demo photos: a graded sky, a sun, layered hills and a skyline.
public enum DemoPicture {
    public struct Palette: Sendable {
        var skyTop: (Double, Double, Double)
        var skyBottom: (Double, Double, Double)
        var sun: (Double, Double, Double)
        var hills: (Double, Double, Double)
        var city: (Double, Double, Double)
    }

    public static let palettes: [Palette] = [
        Palette(skyTop: (32, 64, 128), skyBottom: (236, 170, 120), sun: (255, 226, 150), hills: (46, 84, 70), city: (28, 34, 48)),
        Palette(skyTop: (20, 30, 60), skyBottom: (120, 90, 160), sun: (250, 240, 220), hills: (40, 40, 70), city: (12, 14, 26)),
        Palette(skyTop: (110, 170, 220), skyBottom: (220, 236, 245), sun: (255, 250, 210), hills: (90, 140, 80), city: (70, 80, 96)),
        Palette(skyTop: (150, 40, 40), skyBottom: (250, 190, 90), sun: (255, 245, 200), hills: (90, 50, 40), city: (40, 20, 20)),
        Palette(skyTop: (60, 110, 110), skyBottom: (200, 220, 200), sun: (255, 255, 235), hills: (50, 90, 80), city: (30, 50, 50)),
        Palette(skyTop: (80, 80, 90), skyBottom: (200, 200, 205), sun: (240, 240, 240), hills: (100, 100, 110), city: (50, 50, 58)),
    ]

    /// The demo's photos, one per palette, drawn once per process (the demo newsroom is loaded again and again
    /// in tests; each drawing is some 800,000 pixels).
    public static let photos: [[UInt8]] = palettes.enumerated().map { png(palette: $0.element, seed: $0.offset + 3) }

    public static func png(width: Int = 1200, height: Int = 675, palette: Palette, seed: Int) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let sunX = Double(width) * (0.2 + 0.6 * Double((seed * 37) % 100) / 100)
        let sunY = Double(height) * 0.35
        let sunR = Double(height) * 0.09
        let horizon = Double(height) * 0.62
        let frequency = 0.004 + Double(seed % 5) * 0.0015
        var buildings: [(x0: Int, x1: Int, top: Int)] = []
        var x = Int(Double(width) * 0.55) - (seed % 7) * 20
        var n = seed
        while x < width {
            n = (n &* 1103515245 &+ 12345) & 0x7FFF_FFFF
            let w = 30 + n % 60
            let h = 40 + (n / 7) % 150
            buildings.append((x, min(width, x + w), Int(Double(height) * 0.8) - h))
            x += w + 6
        }
        for y in 0..<height {
            let t = Double(y) / Double(height)
            let sky = mix(palette.skyTop, palette.skyBottom, t * 1.3)
            for x in 0..<width {
                var colour = sky
                let dx = Double(x) - sunX, dy = Double(y) - sunY
                if dx * dx + dy * dy <= sunR * sunR { colour = palette.sun }
                let ridge = horizon + 40 * sin(Double(x) * frequency + Double(seed)) + 20 * sin(Double(x) * frequency * 2.7)
                if Double(y) >= ridge { colour = palette.hills }
                let nearRidge = horizon + 60 + 25 * sin(Double(x) * frequency * 1.9 + 2)
                if Double(y) >= nearRidge { colour = mix(palette.hills, (0, 0, 0), 0.3) }
                if y >= Int(Double(height) * 0.8) { colour = mix(palette.city, (0, 0, 0), 0.2) }
                for b in buildings where x >= b.x0 && x < b.x1 && y >= b.top && y < Int(Double(height) * 0.8) {
                    colour = palette.city
                }
                let i = (y * width + x) * 3
                pixels[i] = UInt8(max(0, min(255, colour.0)))
                pixels[i + 1] = UInt8(max(0, min(255, colour.1)))
                pixels[i + 2] = UInt8(max(0, min(255, colour.2)))
            }
        }
        return PNGEncoder.encode(width: width, height: height, pixels: pixels)
    }

    static func mix(_ a: (Double, Double, Double), _ b: (Double, Double, Double), _ t: Double) -> (Double, Double, Double) {
        let t = max(0, min(1, t))
        // Quantised so neighbouring rows often repeat, which keeps the run-length PNG small.
        func q(_ v: Double) -> Double { (v / 8).rounded() * 8 }
        return (q(a.0 + (b.0 - a.0) * t), q(a.1 + (b.1 - a.1) * t), q(a.2 + (b.2 - a.2) * t))
    }
}
