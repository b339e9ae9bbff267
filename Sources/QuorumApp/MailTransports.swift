import Foundation
import Logging
import QuorumMail
import QuorumWeb

public enum MailTransports {
    /// The configured SMTP server, or with none configured, files under `<data>/mail/`.
    public static func make(configuration: QuorumConfiguration, logger: Logger) -> any MailTransport {
        if let smtp = configuration.smtp {
            let security: SMTPConfiguration.Security = switch smtp.security {
            case .none: .none
            case .starttls: .startTLS
            case .tls: .implicitTLS
            }
            let host = URL(string: configuration.siteURL)?.host ?? "localhost"
            return SMTPMailTransport(
                configuration: SMTPConfiguration(
                    host: smtp.host, port: smtp.port, security: security, username: smtp.username, password: smtp.password,
                    heloName: host, trust: smtp.insecureSkipVerify ? .insecureNoVerify : .system
                ),
                from: configuration.mailFrom, logger: logger
            )
        }
        return FolderMailTransport(
            folder: (configuration.dataDirectory as NSString).appendingPathComponent("mail"), from: configuration.mailFrom, logger: logger
        )
    }
}
