/** A duration in milliseconds as a person reads it: "850 ms", "12.5 s", "4 min 10 s", "3 h 5 min". */
export const formatDuration = (ms: number | null): string => {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? Number(s.toFixed(1)) : Math.round(s)} s`;
  const two = (big: number, bigUnit: string, small: number, smallUnit: string) =>
    small === 0 ? `${big} ${bigUnit}` : `${big} ${bigUnit} ${small} ${smallUnit}`;
  const min = Math.floor(s / 60);
  if (min < 60) return two(min, 'min', Math.floor(s % 60), 's');
  const h = Math.floor(min / 60);
  if (h < 48) return two(h, 'h', min % 60, 'min');
  return two(Math.floor(h / 24), 'd', h % 24, 'h');
};

/** An ISO time as the console shows it: UTC, to the second, unambiguous ("2026-01-01 12:00:05 UTC"). */
export const formatTime = (iso: string | null): string =>
  iso === null ? '—' : `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
