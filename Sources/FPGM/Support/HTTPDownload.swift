import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP GET, waited for: the body of a 200 answer, or a sentence saying why there is none.
enum HTTPDownload {
    /// The body at `url`, or why there is none.
    static func body(of url: URL) -> Result<Data, HTTPDownloadFailure> {
        final class Outcome: @unchecked Sendable { var data: Data?; var status = 0; var error: String? }
        let outcome = Outcome(), done = DispatchSemaphore(value: 0)
        var request = URLRequest(url: url)
        request.timeoutInterval = 60
        URLSession.shared.dataTask(with: request) { data, response, error in
            outcome.data = data
            outcome.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            outcome.error = error?.localizedDescription
            done.signal()
        }.resume()
        done.wait()
        if let error = outcome.error { return .failure(.unreachable(error)) }
        guard outcome.status == 200, let data = outcome.data else { return .failure(.status(outcome.status)) }
        return .success(data)
    }
}

enum HTTPDownloadFailure: Error {
    /// No answer: the system's reason.
    case unreachable(String)
    /// An answer other than 200 OK.
    case status(Int)

    /// The problem as the end of a sentence about the address, saying what was expected instead.
    func problem(expecting what: String) -> String {
        switch self {
        case let .unreachable(reason): "could not be downloaded (\(reason))"
        case let .status(code): "answered HTTP \(code) instead of \(what)"
        }
    }
}
