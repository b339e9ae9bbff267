import Crypto
import QuorumBus
import QuorumMail

import QuorumStore

package enum ContentHash {
    /// The first 16 hex digits of SHA-256: enough to tell versions of a file or page apart.
    package static func short(_ bytes: some Sequence<UInt8>) -> String {
        let digest = SHA256.hash(data: Array(bytes))
        return digest.prefix(8).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }
}
