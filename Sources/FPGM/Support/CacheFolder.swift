import Foundation

/// Where downloads are kept: `$XDG_CACHE_HOME/fpgm`, or `~/.cache/fpgm` when XDG_CACHE_HOME is unset.
enum CacheFolder {
    static func url(environment: [String: String]) -> URL {
        if let base = environment["XDG_CACHE_HOME"], !base.isEmpty { return URL(fileURLWithPath: base).appendingPathComponent("fpgm") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/fpgm")
    }
}
