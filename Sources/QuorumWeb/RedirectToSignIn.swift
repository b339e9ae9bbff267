import Foundation
import QuorumBus
import QuorumMail

import QuorumStore

/// A page that needs a signed-in reader sends others to the sign-in page, and back afterwards.
/// (``ErrorMiddleware`` turns it into the redirect, or a 401 for the JSON API.)
package struct RedirectToSignIn: Error {
    let next: String
    package init(next: String) { self.next = next }
}
