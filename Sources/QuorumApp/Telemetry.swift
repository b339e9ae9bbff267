import Accounts
import Comments
import Metrics
import NIOConcurrencyHelpers
import Prometheus
import Publishing
import QuorumBus
import QuorumMail
import QuorumStore

import QuorumWeb

/// The process-wide metrics registry, exported at `/metrics` in Prometheus' text format.
///
/// swift-metrics allows one backend per process, so it is bootstrapped once, the first time an application is built.
public enum Telemetry {
    public static let registry = PrometheusCollectorRegistry()
    private static let bootstrapped = NIOLockedValueBox(false)

    public static func bootstrap() {
        bootstrapped.withLockedValue { done in
            guard !done else { return }
            var factory = PrometheusMetricsFactory(registry: registry)
            // Prometheus names allow [a-zA-Z0-9_:]; Hummingbird's labels use dots.
            factory.nameAndLabelSanitizer = { name, labels in
                (sanitize(name), labels.map { (sanitize($0.0), $0.1) })
            }
            MetricsSystem.bootstrap(factory)
            done = true
        }
    }

    static func sanitize(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" ? $0 : "_" })
    }
}
