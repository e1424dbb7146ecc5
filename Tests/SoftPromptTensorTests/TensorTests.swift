import SoftPromptTensor
import SoftPromptTestSupport
import Testing

@Suite struct TensorTests {
    @Test func zerosHasTheShapeAndCount() {
        let t = Tensor(zeros: [3, 5, 2])
        #expect(t.count == 30 && t.rank == 3)
        #expect(t.toArray().allSatisfy { $0 == 0 })
    }

    @Test func storageIsAlignedForVectorLoads() {
        #expect(Int(bitPattern: Tensor(zeros: [7]).pointer) % 64 == 0)
    }

    @Test func viewSharesMemoryWithItsOwner() {
        let owner = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let view = Tensor(viewing: owner.row(1), shape: [3], owner: owner)
        #expect(view.toArray() == [4, 5, 6])
        view[0] = 40
        #expect(owner[3] == 40)
    }

    @Test func scalarShapeHoldsOneElement() {
        let t = Tensor(zeros: [])
        #expect(t.count == 1)
    }
}
