import SoftPromptTensor

/// The project's own small sentiment task, generated deterministically from a seed, so the README run and
/// the tests need no downloaded data. Reviews are made of filler words, one to three opinion words and
/// sometimes a negation that flips the opinion after it ("not great"), so a model must read the words, and
/// word order matters a little; a frozen MiniLM with a trained prompt learns it well above chance.
public enum DemoTask {
    public static let labels = ["negative", "positive"]

    static let positive = ["great", "wonderful", "delightful", "moving", "brilliant", "charming", "superb", "funny",
                           "gripping", "beautiful", "clever", "touching", "fresh", "excellent", "enjoyable"]
    static let negative = ["dull", "boring", "awful", "tedious", "clumsy", "bland", "painful", "silly", "weak",
                           "predictable", "messy", "lifeless", "tiresome", "dreadful", "forgettable"]
    static let subjects = ["the film", "this movie", "the story", "the acting", "the script", "the ending",
                           "the cast", "the soundtrack", "the director's work", "the plot"]
    static let fillers = ["was", "felt", "seemed", "is", "turned out", "looked", "came across as"]
    static let intensifiers = ["", "", "really", "truly", "rather", "quite", "somewhat", "very"]
    static let closers = ["", "", "overall.", "in the end.", "for most of its length.", "from start to finish."]

    /// `count` reviews from `seed`; the same arguments always give the same examples.
    public static func examples(count: Int, seed: UInt64) -> [TaskExample] {
        var random = RandomStream(seed: seed)
        func pick<T>(_ list: [T]) -> T { list[Int(random.next() % UInt64(list.count))] }
        return (0..<count).map { _ in
            var score = 0
            var clauses: [String] = []
            for clause in 0..<(1 + Int(random.next() % 3)) {
                let isPositive = random.next() % 2 == 0
                let negated = random.next() % 4 == 0
                var words = [clause == 0 ? pick(subjects) : pick(["and", "but", "yet", "while"]) + " " + pick(subjects),
                             pick(fillers)]
                if negated { words.append("not") }
                let intensifier = pick(intensifiers)
                if !intensifier.isEmpty { words.append(intensifier) }
                words.append(isPositive ? pick(positive) : pick(negative))
                clauses.append(words.joined(separator: " "))
                score += (isPositive != negated) ? 1 : -1
            }
            if score == 0 {  // ties are broken by a final verdict, which the reader has to find
                let verdictPositive = random.next() % 2 == 0
                clauses.append("so " + (verdictPositive ? "I loved it" : "I hated it"))
                score = verdictPositive ? 1 : -1
            }
            let closer = pick(closers)
            let text = clauses.joined(separator: " ") + (closer.isEmpty ? "." : " " + closer)
            return TaskExample(text: text.prefix(1).uppercased() + text.dropFirst(), label: score > 0 ? 1 : 0)
        }
    }

    /// 4,000 training and 500 dev reviews from one seed.
    public static func load(seed: UInt64 = 2024, train: Int = 4000, dev: Int = 500) -> TaskData {
        let devExamples = examples(count: dev, seed: seed &+ 1)
        return TaskData(name: "demo", labels: labels, train: examples(count: train, seed: seed), validation: devExamples,
                        test: devExamples, split: "generated: \(train) train, \(dev) dev reviews from seed \(seed)")
    }
}
