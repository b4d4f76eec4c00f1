#if canImport(Glibc)
import Glibc
#endif
import AnnaCore
import AnnaJSON

/// A Python exception as the reference would raise it at the same step of
/// the same input. The wire shows either its class name
/// (`TRANSPORT_ERROR:<name>` in web.fetch) or its text (web.image_fetch,
/// where `ValueError`s become `invalid_arg` and the rest `internal`), so
/// both are kept, with the two `isinstance` facts the handlers test.
struct PyException: Error, Sendable {
    /// `type(e).__name__`.
    var className: String
    /// `str(e)`.
    var message: JStr
    /// `isinstance(e, ValueError)` (UnicodeError and its subclasses too).
    var isValueError: Bool
    /// `isinstance(e, TimeoutError)`: web.fetch reports these as TIMEOUT.
    var isTimeout: Bool = false
    /// The reference's private `_SsrfBlocked`; `message` is the reason.
    var isSSRF: Bool = false

    init(_ className: String, _ message: JStr, isValueError: Bool = false, isTimeout: Bool = false) {
        self.className = className
        self.message = message
        self.isValueError = isValueError
        self.isTimeout = isTimeout
    }

    static func ssrf(_ reason: JStr) -> PyException {
        var e = PyException("_SsrfBlocked", reason)
        e.isSSRF = true
        return e
    }

    static func valueError(_ m: JStr) -> PyException { PyException("ValueError", m, isValueError: true) }

    /// An exception raised inside the `idna` codec, as `str.encode` wraps it.
    static func idna(_ inner: JStr) -> PyException {
        PyException("UnicodeError", "encoding with 'idna' codec failed (UnicodeError: \(inner))", isValueError: true)
    }

    /// `socket.timeout` (an alias of TimeoutError since 3.10).
    static let socketTimeout = PyException("TimeoutError", "timed out", isTimeout: true)

    /// `OSError(errno, strerror)`, instantiated as the subclass CPython
    /// picks for that errno.
    static func os(_ code: Int32) -> PyException {
        PyException(osErrorClass(code), "[Errno \(Int(code))] \(strerrorText(code))", isTimeout: code == ETIMEDOUT)
    }

    /// `urllib.error.URLError(reason)`; `str()` is `<urlopen error …>`.
    static func urlError(_ reason: JStr) -> PyException {
        PyException("URLError", "<urlopen error \(reason)>")
    }

    /// `http.client.InvalidURL`.
    static func invalidURL(_ m: JStr) -> PyException { PyException("InvalidURL", m) }

    static func strerrorText(_ code: Int32) -> String {
        guard let p = strerror(code) else { return "Unknown error \(code)" }
        return String(cString: p)
    }

    /// CPython's errno → OSError subclass table (PEP 3151).
    static func osErrorClass(_ code: Int32) -> String {
        switch code {
        case EAGAIN, EALREADY, EINPROGRESS: return "BlockingIOError"
        case ECHILD: return "ChildProcessError"
        case EPIPE, ESHUTDOWN: return "BrokenPipeError"
        case ECONNABORTED: return "ConnectionAbortedError"
        case ECONNREFUSED: return "ConnectionRefusedError"
        case ECONNRESET: return "ConnectionResetError"
        case EEXIST: return "FileExistsError"
        case ENOENT: return "FileNotFoundError"
        case EISDIR: return "IsADirectoryError"
        case ENOTDIR: return "NotADirectoryError"
        case EINTR: return "InterruptedError"
        case EACCES, EPERM: return "PermissionError"
        case ESRCH: return "ProcessLookupError"
        case ETIMEDOUT: return "TimeoutError"
        default: return "OSError"
        }
    }
}
