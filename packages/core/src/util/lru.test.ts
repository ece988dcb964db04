import { describe, expect, it } from 'vitest'
import { Lru } from './lru.js'

const byLength = (value: string) => value.length

describe('Lru: bounded by count and by summed weight, least recently used out first', () => {
  it('evicts the least recently used entry past max, a read counting as a use', () => {
    const lru = new Lru<string, string>(2, 1000, byLength)
    lru.set('a', 'A')
    lru.set('b', 'B')
    expect(lru.get('a')).toBe('A')
    lru.set('c', 'C')
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).toEqual(['A', undefined, 'C'])
    expect(lru.size).toBe(2)
  })

  it('evicts by weight until the sum fits, and keeps the sum exact on replace and delete', () => {
    const lru = new Lru<string, string>(100, 10, byLength)
    lru.set('a', 'aaaa')
    lru.set('b', 'bbbb')
    expect(lru.weight).toBe(8)
    lru.set('c', 'ccc')
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).toEqual([undefined, 'bbbb', 'ccc'])
    expect(lru.weight).toBe(7)
    lru.set('b', 'b')
    expect(lru.weight).toBe(4)
    lru.delete('c')
    lru.delete('missing')
    expect([lru.weight, lru.size]).toEqual([1, 1])
  })

  it('does not store an entry heavier than the whole bound, nor keep the one it replaced', () => {
    const lru = new Lru<string, string>(100, 4, byLength)
    lru.set('a', 'aa')
    lru.set('a', 'aaaaa')
    expect([lru.get('a'), lru.size, lru.weight]).toEqual([undefined, 0, 0])
  })

  it('evicts exactly as a plain LRU over a random mix of reads, writes and deletes (the newest-key shortcut changes no order)', () => {
    // The reference: an array, least recent first, moved on every read and write.
    const lru = new Lru<string, string>(4, 12, byLength)
    let order: { key: string; value: string }[] = []
    const evict = () => {
      const weight = () => order.reduce((sum, e) => sum + e.value.length, 0)
      while (order.length > 4 || weight() > 12) order.shift()
    }
    let seed = 7
    const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n
    for (let step = 0; step < 5000; step++) {
      const key = 'k' + next(7)
      const op = next(10)
      const found = order.find((e) => e.key === key)
      if (op < 5) {
        expect(lru.get(key)).toBe(found?.value)
        if (found) order = [...order.filter((e) => e !== found), found]
      } else if (op < 9) {
        const value = 'v'.repeat(1 + next(5))
        lru.set(key, value)
        order = [...order.filter((e) => e.key !== key), { key, value }]
        evict()
      } else {
        lru.delete(key)
        order = order.filter((e) => e.key !== key)
      }
      expect([lru.size, lru.weight]).toEqual([
        order.length,
        order.reduce((s, e) => s + e.value.length, 0),
      ])
    }
  })
})
