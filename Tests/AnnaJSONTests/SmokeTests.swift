import Testing
@testable import AnnaJSON

@Test func roundTrip() throws {
    let v = try JSONParser.parse(#"{"s":"é😀","f":1E2,"g":1e16,"h":0.00001,"n":NaN,"i":-Infinity,"z":-0,"big":123456789012345678901234567890,"dup":1,"dup":2}"#)
    #expect(JSONWriter.encodeString(v) == #"{"s": "\u00e9\ud83d\ude00", "f": 100.0, "g": 1e+16, "h": 1e-05, "n": NaN, "i": -Infinity, "z": 0, "big": 123456789012345678901234567890, "dup": 2}"#)
}
