/** Hands out a distinct seed per layer from the model seed, so one number fixes every initial weight and mask. */
export class Seeds {
  private n = 0;
  constructor(private readonly base: number) {}
  next(): number {
    return (this.base * 1009 + ++this.n) % 2147483647;
  }
}
