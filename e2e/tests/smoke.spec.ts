// Minimal check that the test setup reaches a running server at all.
import { test, expect } from '@playwright/test';

test('the health endpoint reports ok', async ({ request }) => {
  const response = await request.get('/healthz');
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({ status: 'ok' });
});
