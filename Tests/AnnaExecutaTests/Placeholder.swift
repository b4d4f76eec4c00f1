import Testing
@testable import AnnaExecuta
@Test func placeholderAnnaExecuta() {}
