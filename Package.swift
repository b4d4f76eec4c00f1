// swift-tools-version:6.1
import PackageDescription

// Modules, dependencies pointing one way:
//   AnnaJSON      Python-compatible JSON values and formatting (no I/O)
//   AnnaCore      manifest, ACL, dispatcher, window store, tokens (no I/O)
//   AnnaRuntime   the runtime: key file, clock, executa pool, host calls, JSON-RPC front end
//   AnnaC         the C ABI (include/annaruntime.h) -> libannaruntime.so
//   anna-bridge   stdio bridge executable (drop-in for the reference bridge)
//   AnnaExecuta   SDK for writing executa plugins (depends on AnnaJSON only)

// The shared library must load into Python/Node with no Swift toolchain:
// link the Swift runtime statically (plus the Foundation pieces that
// swift-crypto pulls in, see BUILD-NOTES), export only anna_* symbols.
let sharedLibraryFlags: [String] = [
    "-static-stdlib",
    "-l_FoundationCollections", "-l_FoundationCShims", "-lswiftSynchronization",
    "-Xlinker", "--version-script=\(Context.packageDirectory)/include/annaruntime.map",
    "-Xlinker", "-soname=libannaruntime.so.0",
]
let staticExecutableFlags: [String] = [
    "-static-stdlib",
    "-l_FoundationCollections", "-l_FoundationCShims", "-lswiftSynchronization",
]

let package = Package(
    name: "annaruntime",
    products: [
        .library(name: "annaruntime", type: .dynamic, targets: ["AnnaC"]),
        .library(name: "AnnaRuntime", targets: ["AnnaRuntime"]),
        .library(name: "AnnaExecuta", targets: ["AnnaExecuta"]),
        .executable(name: "anna-bridge", targets: ["anna-bridge"]),
        .executable(name: "anna-example-executa", targets: ["anna-example-executa"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        .target(name: "AnnaJSON"),
        .target(name: "AnnaCore", dependencies: [
            "AnnaJSON",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "CAnnaSys"),
        .target(name: "AnnaRuntime", dependencies: [
            "AnnaCore", "CAnnaSys",
            .product(name: "Crypto", package: "swift-crypto"),   // SHA-256 of fetched images
        ]),
        .systemLibrary(name: "CAnnaRuntime", path: "Sources/CAnnaRuntime"),
        .target(name: "AnnaC", dependencies: ["AnnaRuntime", "CAnnaRuntime"],
                linkerSettings: [.unsafeFlags(sharedLibraryFlags)]),
        .executableTarget(name: "anna-bridge", dependencies: ["AnnaRuntime"],
                          linkerSettings: [.unsafeFlags(staticExecutableFlags)]),
        .target(name: "AnnaExecuta", dependencies: ["AnnaJSON"]),
        .executableTarget(name: "anna-example-executa", dependencies: ["AnnaExecuta"],
                          linkerSettings: [.unsafeFlags(["-static-stdlib"])]),
        .target(name: "AnnaTestSupport", dependencies: ["AnnaJSON"], path: "Tests/AnnaTestSupport"),
        .testTarget(name: "AnnaJSONTests", dependencies: ["AnnaJSON", "AnnaTestSupport"]),
        .testTarget(name: "AnnaCoreTests", dependencies: ["AnnaCore", "AnnaTestSupport"]),
        .testTarget(name: "AnnaRuntimeTests", dependencies: ["AnnaRuntime", "AnnaTestSupport"]),
        .testTarget(name: "AnnaExecutaTests", dependencies: ["AnnaExecuta"]),
    ],
    swiftLanguageModes: [.v5]
)
