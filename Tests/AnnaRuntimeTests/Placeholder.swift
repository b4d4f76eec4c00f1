import Testing
@testable import AnnaRuntime
@Test func placeholderAnnaRuntime() {}
