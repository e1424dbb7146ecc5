import SoftPromptTensor
import Testing

/// The median every benchmark reports (step times, sgemm rates, the scaling of `bench --ranks --rounds`).
@Suite struct MedianTests {
    @Test func anOddCountTakesTheMiddleValueWhateverTheOrder() {
        #expect(median([3, 1, 2]) == 2)
        #expect(median([5]) == 5)
    }

    @Test func anEvenCountTakesTheMeanOfTheTwoMiddleValues() {
        #expect(median([1.872, 2.099]) == (1.872 + 2.099) / 2)
        #expect(median([4, 1, 3, 2]) == 2.5)
    }

    @Test func noValuesGiveZero() {
        #expect(median([]) == 0)
    }
}
