import Hummingbird
import QuorumWeb

extension SiteCookies {
    static func session(_ id: String, secure: Bool) -> Cookie {
        Cookie(name: session, value: id, maxAge: Int(SessionStore.lifetime), path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    static func clearSession(secure: Bool) -> Cookie {
        Cookie(name: session, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }
}
