/**
 * The HTTP client's clock for every test file: a virtual clock (../reliability/clock.ts) installed by the jest setup
 * file (setup.ts), so that no backoff, Retry-After, rate-limit reset or pacing wait of any client built without a clock
 * of its own ever sleeps for real. It starts at the real time, because fakes stamp their rate-limit headers from
 * `Date.now()`. Tests assert how long the client would have waited with `httpClock.waits` / `httpClock.waited()`.
 * A file may install its own clock with `setHttpClock(other)`; `setHttpClock(httpClock)` puts this one back.
 */
import { setHttpClock } from '../../src/core/clock'
import { virtualClock } from '../reliability/clock'

export const httpClock = virtualClock(Date.now())

export const installHttpClock = () => setHttpClock(httpClock)
