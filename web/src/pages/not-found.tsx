/** A path the console does not know. */

import { Link } from '../lib/router.tsx';

export function NotFound() {
  return (
    <section className="page">
      <h1>Not found</h1>
      <p>
        There is no page here. Go to the <Link to="/inbox">inbox</Link>.
      </p>
    </section>
  );
}
