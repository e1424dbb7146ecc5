/// HF `tokenizers`' truncation (`truncate_encodings`, direction Right, stride 0).
public enum Truncation {
    /// The lengths to keep under LongestFirst, for sequences of `first` and `second` tokens and a budget of
    /// `maxLength` tokens (the special tokens already taken off).
    ///
    /// HF computes this in closed form, which is taking one token at a time from the longer sequence until
    /// the shorter one must be cut too; then the shorter keeps ⌊budget/2⌋ and the longer ⌈budget/2⌉ (the
    /// second, when they were equally long). Follows HF's form exactly.
    public static func longestFirst(first: Int, second: Int?, maxLength: Int) -> (first: Int, second: Int?) {
        let budget = max(0, maxLength)
        guard let second else { return (min(first, budget), nil) }
        if first + second <= budget { return (first, second) }
        var n1 = first
        var n2 = second
        let swap = n1 > n2
        if swap { (n1, n2) = (n2, n1) }
        if n1 > budget {
            n2 = n1
        } else {
            n2 = max(n1, budget - n1)
        }
        if n1 + n2 > budget {
            n1 = budget / 2
            n2 = n1 + budget % 2
        }
        if swap { (n1, n2) = (n2, n1) }
        return (min(first, n1), min(second, n2))
    }
}
