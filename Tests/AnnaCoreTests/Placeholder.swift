import Testing
@testable import AnnaCore
@Test func placeholderAnnaCore() {}
