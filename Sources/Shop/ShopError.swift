import HTTPTypes
import QuorumWeb
import ShopEngine

/// Everything the shop refuses, each with its HTTP status and a message a reader can act on.
public enum ShopError: Error, AppError, Equatable {
    case cart(CartProblem)
    case address([String: String])
    case email
    case soldOut(String)
    case unknownOrder
    case notAllowed(String)
    case noProvider
    case provider(String)

    public var status: HTTPResponse.Status {
        switch self {
        case let .cart(problem):
            switch problem {
            case .unknownProduct: .notFound
            case .notEnoughStock: .conflict
            default: .unprocessableContent
            }
        case .address, .email: .unprocessableContent
        case .soldOut, .notAllowed: .conflict
        case .unknownOrder: .notFound
        case .noProvider: .serviceUnavailable
        case .provider: .badGateway
        }
    }

    public var code: String {
        switch self {
        case .cart: "cart"
        case .address: "address"
        case .email: "email"
        case .soldOut: "sold_out"
        case .unknownOrder: "not_found"
        case .notAllowed: "not_allowed"
        case .noProvider: "no_provider"
        case .provider: "provider"
        }
    }

    public var message: String {
        switch self {
        case let .cart(problem): problem.description
        case let .address(fields): fields.sorted { $0.key < $1.key }.map(\.value).joined(separator: " ")
        case .email: "Enter an email address we can send the receipt to."
        case let .soldOut(title): "\(title) sold out while you were checking out: nothing was charged."
        case .unknownOrder: "There is no such order."
        case let .notAllowed(why): why
        case .noProvider: "Payments are not set up on this site yet."
        case let .provider(why): "The payment provider could not be reached (\(why)). Nothing was charged; please try again."
        }
    }
}
