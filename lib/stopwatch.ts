/** Returns a lap timer: each call gives the whole milliseconds since the previous call (or creation). */
export function stopwatch(): () => number {
	let mark = performance.now();
	return () => {
		const now = performance.now();
		const elapsed = now - mark;
		mark = now;
		return Math.round(elapsed);
	};
}
