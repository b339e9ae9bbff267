import Foundation
import Logging
import ServiceLifecycle

/// Every minute: expires unpaid orders past their hold (their copies go back on sale) and sends the release
/// email for pre-orders of products whose release date has come. Safe on several instances at once: expiry is
/// a ledger event (applied once) and each email is claimed once per order.
public struct ShopUpkeep: Service {
    let service: ShopService
    let interval: Duration

    public init(service: ShopService, interval: Duration = .seconds(60)) {
        self.service = service
        self.interval = interval
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while true {
                do {
                    try await service.expireDue()
                    try await service.sendReleaseEmails()
                } catch {
                    service.logger.warning("shop upkeep failed", metadata: ["error": "\(String(describing: error))"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}

extension ShopUpkeep: CustomStringConvertible {
    public var description: String { "ShopUpkeep" }
}
