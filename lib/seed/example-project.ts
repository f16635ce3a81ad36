/** The small project every new session starts with. */
export const EXAMPLE_PROJECT: Record<string, string> = {
  'src/cart.ts': `export interface Item {
  sku: string;
  price: number;
  quantity: number;
}

export class Cart {
  private items: Item[] = [];

  add(item: Item): void {
    const existing = this.items.find((i) => i.sku === item.sku);
    if (existing) {
      existing.quantity += item.quantity;
    } else {
      this.items.push({ ...item });
    }
  }

  remove(sku: string): void {
    this.items = this.items.filter((i) => i.sku !== sku);
  }

  total(): number {
    return this.items.reduce((sum, i) => sum + i.price * i.quantity, 0);
  }
}
`,
  'src/cart.test.ts': `import { Cart } from './cart';

describe('Cart', () => {
  it('adds up prices times quantities', () => {
    const cart = new Cart();
    cart.add({ sku: 'apple', price: 0.5, quantity: 4 });
    cart.add({ sku: 'pear', price: 0.75, quantity: 2 });
    expect(cart.total()).toBe(3.5);
  });

  it('merges the same sku', () => {
    const cart = new Cart();
    cart.add({ sku: 'apple', price: 0.5, quantity: 1 });
    cart.add({ sku: 'apple', price: 0.5, quantity: 1 });
    expect(cart.total()).toBe(1);
  });

  it('removes an item', () => {
    const cart = new Cart();
    cart.add({ sku: 'apple', price: 0.5, quantity: 1 });
    cart.remove('apple');
    expect(cart.total()).toBe(0);
  });
});
`,
  'README.md': `# Example project

A tiny shopping cart. Open \`src/cart.ts\`, then ask Flint for a change,
for instance "add a discount code".
`,
};
