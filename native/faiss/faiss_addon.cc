// codeintel_faiss: a deliberately small Node-API binding over the system
// libfaiss. It exists because faiss-node takes number[], lacks add_with_ids and
// cannot set nprobe/efSearch. Every faiss/std exception becomes a JS Error.
#include <napi.h>

#include <faiss/AutoTune.h>
#include <faiss/IVFlib.h>
#include <faiss/Index.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>
#include <faiss/invlists/OnDiskInvertedLists.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <regex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

namespace {

// libfaiss 1.7.3 only has the nested alias, not faiss::idx_t.
using idx_t = faiss::Index::idx_t;

// An IVF index read with IO_FLAG_MMAP keeps its inverted lists in a shared,
// read-only mapping of the file (OnDiskInvertedLists: ptr, totsize). Pages a
// search touches stay mapped, and count in the process's RSS, until dropped:
// Drop() unmaps them all with MADV_DONTNEED. They stay in the page cache, so
// the next touch is a minor fault, not a read; the file's contents do not
// change, so a search running meanwhile only faults its pages in again.
// PerQueryBound says how much one query can map, so the caller can drop once
// the searches since the last drop may have mapped more than it allows.
struct MappedLists {
  uint8_t* ptr = nullptr;
  size_t totsize = 0;
  // largest lists first: bytes each can map (codes + ids, with fault-around)
  std::vector<size_t> listBytesDesc;
  std::atomic<uint64_t> drops{0};

  // what one query probing `nprobe` lists can have mapped, at most
  uint64_t PerQueryBound(size_t nprobe) const {
    uint64_t sum = 0;
    for (size_t i = 0; i < std::min(nprobe, listBytesDesc.size()); i++) sum += listBytesDesc[i];
    return sum;
  }

  void Drop() {
    // MADV_DONTNEED on a shared file mapping unmaps its pages from this process; the page cache keeps them
    if (madvise(ptr, totsize, MADV_DONTNEED) == 0) drops++;
  }
};

// The kernel maps a page cache page on a fault together with its neighbours
// in an aligned window (fault_around_bytes, 64 KiB by default): a range of
// the file can map the windows it overlaps.
constexpr size_t kFaultWindow = 64 * 1024;
size_t WindowedBytes(size_t begin, size_t len) {
  if (len == 0) return 0;
  size_t first = begin / kFaultWindow;
  size_t last = (begin + len - 1) / kFaultWindow;
  return (last - first + 1) * kFaultWindow;
}

// The mapped lists of an IVF index read with IO_FLAG_MMAP, or null (in memory, or not IVF).
std::unique_ptr<MappedLists> FindMappedLists(faiss::Index* index) {
  faiss::IndexIVF* ivf = faiss::ivflib::try_extract_index_ivf(index);
  if (ivf == nullptr) return nullptr;
  auto* od = dynamic_cast<faiss::OnDiskInvertedLists*>(ivf->invlists);
  if (od == nullptr || od->ptr == nullptr || od->totsize == 0) return nullptr;
  auto m = std::make_unique<MappedLists>();
  m->ptr = od->ptr;
  m->totsize = od->totsize;
  m->listBytesDesc.reserve(od->lists.size());
  for (const auto& l : od->lists) {
    // codes at offset, then capacity codes later the ids (OnDiskInvertedLists::get_ids)
    size_t codes = WindowedBytes(l.offset, l.size * od->code_size);
    size_t ids = WindowedBytes(l.offset + l.capacity * od->code_size, l.size * sizeof(idx_t));
    m->listBytesDesc.push_back(codes + ids);
  }
  std::sort(m->listBytesDesc.begin(), m->listBytesDesc.end(), std::greater<size_t>());
  return m;
}

size_t NprobeOf(faiss::Index* index) {
  faiss::IndexIVF* ivf = faiss::ivflib::try_extract_index_ivf(index);
  return ivf == nullptr ? 0 : ivf->nprobe;
}

// The index plus a reader/writer lock: searches (sync or on the libuv pool)
// share it, mutations take it exclusively so they never race a running search.
struct IndexState {
  explicit IndexState(std::unique_ptr<faiss::Index> ix) : index(std::move(ix)), mapped(FindMappedLists(index.get())) {}
  std::unique_ptr<faiss::Index> index;
  std::shared_mutex mu;
  // set when the inverted lists are mapped from the file (read with mmap)
  std::unique_ptr<MappedLists> mapped;
};
using StatePtr = std::shared_ptr<IndexState>;

// Per-environment data (worker_threads each get their own), no globals.
struct AddonData {
  Napi::FunctionReference indexCtor;
  // Set only while a static factory constructs an instance; the constructor
  // refuses to run without it, so JS cannot build an empty wrapper.
  StatePtr* pending = nullptr;
};

// FaissException text is "Error in <signature> at <file>:<line>: <msg>"; put
// the actionable part first and keep the location as a short suffix.
std::string Describe(const char* op, const char* what) {
  static const std::regex kFaissFormat(R"(^Error in [\s\S]*? at ([^ ]+:[0-9]+): ([\s\S]*)$)");
  std::string msg(what);
  std::smatch m;
  if (std::regex_match(msg, m, kFaissFormat)) msg = m[2].str() + " (" + m[1].str() + ")";
  return std::string("faiss ") + op + " failed: " + msg;
}

// Runs fn and converts anything faiss or the STL throws into a JS Error.
template <typename Fn>
auto Guard(Napi::Env env, const char* op, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;  // already a JS error (validation)
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, Describe(op, "out of memory"));
  } catch (const std::exception& e) {  // includes faiss::FaissException
    throw Napi::Error::New(env, Describe(op, e.what()));
  } catch (...) {
    throw Napi::Error::New(env, Describe(op, "unknown native exception"));
  }
}

Napi::Float32Array RequireFloat32(Napi::Env env, const Napi::Value& v, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(env, std::string(name) + " must be a Float32Array");
  }
  return v.As<Napi::Float32Array>();
}

Napi::BigInt64Array RequireBigInt64(Napi::Env env, const Napi::Value& v, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_bigint64_array) {
    throw Napi::TypeError::New(env, std::string(name) + " must be a BigInt64Array");
  }
  return v.As<Napi::BigInt64Array>();
}

// Integer in [min, max] from a JS number, with a message naming the argument.
int64_t RequireInt(Napi::Env env, const Napi::Value& v, const char* name, int64_t min, int64_t max) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(name) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < static_cast<double>(min) ||
      d > static_cast<double>(max)) {
    throw Napi::RangeError::New(env, std::string(name) + " must be an integer in [" +
                                         std::to_string(min) + ", " + std::to_string(max) +
                                         "] (got " + v.ToString().Utf8Value() + ")");
  }
  return static_cast<int64_t>(d);
}

std::string RequireString(Napi::Env env, const Napi::Value& v, const char* name) {
  if (!v.IsString()) throw Napi::TypeError::New(env, std::string(name) + " must be a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.empty()) throw Napi::TypeError::New(env, std::string(name) + " must not be empty");
  return s;
}

// Number of row-major vectors in a flat buffer of `length` floats.
idx_t RowCount(Napi::Env env, size_t length, int dim, const char* name) {
  if (length % static_cast<size_t>(dim) != 0) {
    throw Napi::RangeError::New(env, std::string(name) + ".length (" + std::to_string(length) +
                                         ") is not a multiple of dim (" + std::to_string(dim) +
                                         "); pass n*dim floats, one vector after another");
  }
  return static_cast<idx_t>(length / static_cast<size_t>(dim));
}

idx_t RequireK(Napi::Env env, const Napi::Value& v) {
  return RequireInt(env, v, "k", 1, std::numeric_limits<int32_t>::max());
}

Napi::Object MakeResult(Napi::Env env, const float* distances, const idx_t* labels, size_t count) {
  auto d = Napi::Float32Array::New(env, count);
  auto l = Napi::BigInt64Array::New(env, count);
  if (count > 0) {
    std::memcpy(d.Data(), distances, count * sizeof(float));
    std::memcpy(l.Data(), labels, count * sizeof(int64_t));
  }
  auto out = Napi::Object::New(env);
  out.Set("distances", d);
  out.Set("labels", l);
  return out;
}

// searchAsync: runs index->search on the libuv pool. The queries are copied up
// front so the caller may reuse, mutate or transfer its buffer immediately; the
// shared_ptr keeps the index alive even if free() is called meanwhile.
class SearchWorker : public Napi::AsyncWorker {
 public:
  SearchWorker(Napi::Env env, StatePtr state, std::vector<float> queries, idx_t n, idx_t k)
      : Napi::AsyncWorker(env, "codeintel_faiss.searchAsync"),
        deferred_(Napi::Promise::Deferred::New(env)),
        state_(std::move(state)),
        queries_(std::move(queries)),
        n_(n),
        k_(k) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      size_t count = static_cast<size_t>(n_) * static_cast<size_t>(k_);
      distances_.resize(count);
      labels_.resize(count);
      std::shared_lock<std::shared_mutex> lock(state_->mu);
      if (n_ > 0) state_->index->search(n_, queries_.data(), k_, distances_.data(), labels_.data());
    } catch (const std::bad_alloc&) {
      SetError(Describe("searchAsync", "out of memory"));
    } catch (const std::exception& e) {
      SetError(Describe("searchAsync", e.what()));
    } catch (...) {
      SetError(Describe("searchAsync", "unknown native exception"));
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(MakeResult(env, distances_.data(), labels_.data(), distances_.size()));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  StatePtr state_;
  std::vector<float> queries_;
  idx_t n_;
  idx_t k_;
  std::vector<float> distances_;
  std::vector<idx_t> labels_;
};

class FaissIndexWrap : public Napi::ObjectWrap<FaissIndexWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "FaissIndex",
        {
            StaticMethod<&FaissIndexWrap::Create>("create"),
            StaticMethod<&FaissIndexWrap::Read>("read"),
            InstanceAccessor<&FaissIndexWrap::GetDim>("dim"),
            InstanceAccessor<&FaissIndexWrap::GetNtotal>("ntotal"),
            InstanceAccessor<&FaissIndexWrap::GetIsTrained>("isTrained"),
            InstanceMethod<&FaissIndexWrap::Write>("write"),
            InstanceMethod<&FaissIndexWrap::Train>("train"),
            InstanceMethod<&FaissIndexWrap::Add>("add"),
            InstanceMethod<&FaissIndexWrap::AddWithIds>("addWithIds"),
            InstanceMethod<&FaissIndexWrap::RemoveIds>("removeIds"),
            InstanceMethod<&FaissIndexWrap::SetParam>("setParam"),
            InstanceMethod<&FaissIndexWrap::Search>("search"),
            InstanceMethod<&FaissIndexWrap::SearchAsync>("searchAsync"),
            InstanceMethod<&FaissIndexWrap::Reconstruct>("reconstruct"),
            InstanceMethod<&FaissIndexWrap::Free>("free"),
            InstanceMethod<&FaissIndexWrap::ReleaseMapped>("releaseMapped"),
            InstanceMethod<&FaissIndexWrap::MappedStats>("mappedStats"),
        });
  }

  explicit FaissIndexWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FaissIndexWrap>(info) {
    auto* data = info.Env().GetInstanceData<AddonData>();
    if (data == nullptr || data->pending == nullptr) {
      throw Napi::TypeError::New(info.Env(),
                                 "FaissIndex cannot be constructed directly; use "
                                 "FaissIndex.create(dim, factory, metric) or FaissIndex.read(path)");
    }
    state_ = std::move(*data->pending);
    data->pending = nullptr;
  }

 private:
  static Napi::Value Wrap(Napi::Env env, std::unique_ptr<faiss::Index> ix) {
    StatePtr state = std::make_shared<IndexState>(std::move(ix));
    auto* data = env.GetInstanceData<AddonData>();
    data->pending = &state;
    Napi::Object obj;
    try {
      obj = data->indexCtor.New({});
    } catch (...) {
      data->pending = nullptr;
      throw;
    }
    data->pending = nullptr;
    return obj;
  }

  static Napi::Value Create(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int dim = static_cast<int>(RequireInt(env, info[0], "dim", 1, std::numeric_limits<int32_t>::max()));
    std::string factory = RequireString(env, info[1], "factory");
    std::string metricName = info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "";
    faiss::MetricType metric;
    if (metricName == "ip") {
      metric = faiss::METRIC_INNER_PRODUCT;
    } else if (metricName == "l2") {
      metric = faiss::METRIC_L2;
    } else {
      throw Napi::TypeError::New(env, "metric must be 'ip' or 'l2'");
    }
    auto ix = Guard(env, "create", [&] {
      return std::unique_ptr<faiss::Index>(faiss::index_factory(dim, factory.c_str(), metric));
    });
    return Wrap(env, std::move(ix));
  }

  static Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string path = RequireString(env, info[0], "path");
    // mmap: an IVF index's inverted lists stay in the file and are paged in on
    // demand (OnDiskInvertedLists over the file), so memory follows the lists
    // searched, not the index size. Other index types ignore the flag's effect
    // on lists and load whole.
    bool mmap = info.Length() > 1 && info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
    int flags = mmap ? faiss::IO_FLAG_MMAP : 0;
    auto ix = Guard(env, "read", [&] { return std::unique_ptr<faiss::Index>(faiss::read_index(path.c_str(), flags)); });
    return Wrap(env, std::move(ix));
  }

  // The live state, or a clear error once free() was called.
  StatePtr Live(Napi::Env env) const {
    if (!state_) throw Napi::Error::New(env, "FaissIndex has been freed; create or read a new index");
    return state_;
  }

  Napi::Value GetDim(const Napi::CallbackInfo& info) {
    StatePtr st = Live(info.Env());
    return Napi::Number::New(info.Env(), st->index->d);
  }

  Napi::Value GetNtotal(const Napi::CallbackInfo& info) {
    StatePtr st = Live(info.Env());
    std::shared_lock<std::shared_mutex> lock(st->mu);
    return Napi::Number::New(info.Env(), static_cast<double>(st->index->ntotal));
  }

  Napi::Value GetIsTrained(const Napi::CallbackInfo& info) {
    StatePtr st = Live(info.Env());
    std::shared_lock<std::shared_mutex> lock(st->mu);
    return Napi::Boolean::New(info.Env(), st->index->is_trained);
  }

  void Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    StatePtr st = Live(env);
    std::string path = RequireString(env, info[0], "path");
    std::shared_lock<std::shared_mutex> lock(st->mu);
    Guard(env, "write", [&] { faiss::write_index(st->index.get(), path.c_str()); });
  }

  void Train(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    StatePtr st = Live(env);
    auto vectors = RequireFloat32(env, info[0], "vectors");
    idx_t n = RowCount(env, vectors.ElementLength(), st->index->d, "vectors");
    if (n == 0) throw Napi::RangeError::New(env, "train() needs at least one vector");
    std::unique_lock<std::shared_mutex> lock(st->mu);
    Guard(env, "train", [&] { st->index->train(n, vectors.Data()); });
  }

  static void RequireTrained(Napi::Env env, const faiss::Index& ix, const char* op) {
    if (!ix.is_trained) {
      throw Napi::Error::New(env, std::string("index is not trained; call train() with representative vectors before ") + op + "()");
    }
  }

  void Add(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    StatePtr st = Live(env);
    auto vectors = RequireFloat32(env, info[0], "vectors");
    idx_t n = RowCount(env, vectors.ElementLength(), st->index->d, "vectors");
    std::unique_lock<std::shared_mutex> lock(st->mu);
    RequireTrained(env, *st->index, "add");
    if (n == 0) return;
    Guard(env, "add", [&] { st->index->add(n, vectors.Data()); });
  }

  void AddWithIds(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    StatePtr st = Live(env);
    auto vectors = RequireFloat32(env, info[0], "vectors");
    auto ids = RequireBigInt64(env, info[1], "ids");
    idx_t n = RowCount(env, vectors.ElementLength(), st->index->d, "vectors");
    if (ids.ElementLength() != static_cast<size_t>(n)) {
      throw Napi::RangeError::New(env, "ids.length (" + std::to_string(ids.ElementLength()) +
                                           ") must equal the number of vectors (" + std::to_string(n) + ")");
    }
    std::unique_lock<std::shared_mutex> lock(st->mu);
    RequireTrained(env, *st->index, "addWithIds");
    if (n == 0) return;
    Guard(env, "addWithIds", [&] { st->index->add_with_ids(n, vectors.Data(), ids.Data()); });
  }

  Napi::Value RemoveIds(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    StatePtr st = Live(env);
    auto ids = RequireBigInt64(env, info[0], "ids");
    std::unique_lock<std::shared_mutex> lock(st->mu);
    size_t removed = Guard(env, "removeIds", [&] {
      faiss::IDSelectorBatch sel(ids.ElementLength(), ids.Data());
      return st->index->remove_ids(sel);
    });
    return Napi::Number::New(env, static_cast<double>(removed));
  }

  void SetParam(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    StatePtr st = Live(env);
    std::string name = RequireString(env, info[0], "name");
    if (!info[1].IsNumber() || !std::isfinite(info[1].As<Napi::Number>().DoubleValue())) {
      throw Napi::TypeError::New(env, "value must be a finite number");
    }
    double value = info[1].As<Napi::Number>().DoubleValue();
    std::unique_lock<std::shared_mutex> lock(st->mu);
    Guard(env, "setParam", [&] { faiss::ParameterSpace().set_index_parameter(st->index.get(), name, value); });
  }

  // The arguments of search and searchAsync: (queries: Float32Array, k), checked against the index dimension.
  struct SearchArgs {
    StatePtr st;
    Napi::Float32Array queries;
    idx_t k;
    idx_t n;
  };

  SearchArgs ParseSearchArgs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    StatePtr st = Live(env);
    auto queries = RequireFloat32(env, info[0], "queries");
    idx_t k = RequireK(env, info[1]);
    idx_t n = RowCount(env, queries.ElementLength(), st->index->d, "queries");
    return SearchArgs{st, queries, k, n};
  }

  Napi::Value Search(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const SearchArgs a = ParseSearchArgs(info);
    size_t count = static_cast<size_t>(a.n) * static_cast<size_t>(a.k);
    // Search straight into the JS-owned result buffers: no extra copy.
    auto distances = Napi::Float32Array::New(env, count);
    auto labels = Napi::BigInt64Array::New(env, count);
    if (a.n > 0) {
      std::shared_lock<std::shared_mutex> lock(a.st->mu);
      Guard(env, "search", [&] { a.st->index->search(a.n, a.queries.Data(), a.k, distances.Data(), labels.Data()); });
    }
    auto out = Napi::Object::New(env);
    out.Set("distances", distances);
    out.Set("labels", labels);
    return out;
  }

  Napi::Value SearchAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const SearchArgs a = ParseSearchArgs(info);
    std::vector<float> copy = Guard(env, "searchAsync", [&] {
      return std::vector<float>(a.queries.Data(), a.queries.Data() + a.queries.ElementLength());
    });
    // AsyncWorker deletes itself after OnOK/OnError.
    auto* worker = new SearchWorker(env, a.st, std::move(copy), a.n, a.k);
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  }

  Napi::Value Reconstruct(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    StatePtr st = Live(env);
    idx_t id;
    if (info[0].IsBigInt()) {
      bool lossless = false;
      id = info[0].As<Napi::BigInt>().Int64Value(&lossless);
      if (!lossless) throw Napi::RangeError::New(env, "id does not fit in int64");
    } else {
      id = RequireInt(env, info[0], "id", -(int64_t{1} << 53), int64_t{1} << 53);
    }
    std::shared_lock<std::shared_mutex> lock(st->mu);
    const faiss::Index& ix = *st->index;
    if (auto* map2 = dynamic_cast<const faiss::IndexIDMap2*>(&ix)) {
      if (map2->rev_map.find(id) == map2->rev_map.end()) {
        throw Napi::RangeError::New(env, "id " + std::to_string(id) + " is not in the index");
      }
    } else if (dynamic_cast<const faiss::IndexIDMap*>(&ix) == nullptr && (id < 0 || id >= ix.ntotal)) {
      // Plain indexes address vectors by position and faiss does not bounds-check.
      throw Napi::RangeError::New(env, "id " + std::to_string(id) + " is out of range [0, " +
                                           std::to_string(ix.ntotal) + ")");
    }
    auto out = Napi::Float32Array::New(env, static_cast<size_t>(ix.d));
    Guard(env, "reconstruct", [&] { ix.reconstruct(id, out.Data()); });
    return out;
  }

  // Drops the mapped lists' pages now.
  void ReleaseMapped(const Napi::CallbackInfo& info) {
    StatePtr st = Live(info.Env());
    if (st->mapped) st->mapped->Drop();
  }

  // null for an index in memory; else the mapping's size, what one query can map at most (at the current
  // nprobe), and the drops so far
  Napi::Value MappedStats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    StatePtr st = Live(env);
    if (!st->mapped) return env.Null();
    std::shared_lock<std::shared_mutex> lock(st->mu);
    auto out = Napi::Object::New(env);
    out.Set("mappedBytes", Napi::Number::New(env, static_cast<double>(st->mapped->totsize)));
    out.Set("perSearchBytes", Napi::Number::New(env, static_cast<double>(st->mapped->PerQueryBound(NprobeOf(st->index.get())))));
    out.Set("drops", Napi::Number::New(env, static_cast<double>(st->mapped->drops.load())));
    return out;
  }

  // Drops this wrapper's reference; in-flight searchAsync calls keep theirs.
  void Free(const Napi::CallbackInfo&) { state_.reset(); }

  StatePtr state_;
};

// glibc keeps memory a process freed in its arenas (one per thread that
// allocated) for reuse; malloc_trim hands the free pages back to the OS. After
// a large transient allocation (loading a catalog: DuckDB's result chunks)
// that is tens to hundreds of MB of RSS. Returns whether any memory was released.
Napi::Value MallocTrim(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), malloc_trim(0) == 1);
}

// The same on the libuv pool: at 1M chunks a trim takes ~20 ms, too long for
// the event loop between searches. glibc locks one arena at a time meanwhile.
class TrimWorker : public Napi::AsyncWorker {
 public:
  explicit TrimWorker(Napi::Env env)
      : Napi::AsyncWorker(env, "codeintel_faiss.mallocTrimAsync"), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override { released_ = malloc_trim(0) == 1; }
  void OnOK() override { deferred_.Resolve(Napi::Boolean::New(Env(), released_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  bool released_ = false;
};

Napi::Value MallocTrimAsync(const Napi::CallbackInfo& info) {
  auto* worker = new TrimWorker(info.Env());  // deletes itself after OnOK/OnError
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData<AddonData>(data);  // deleted by Node when the env exits
  Napi::Function ctor = FaissIndexWrap::Define(env);
  data->indexCtor = Napi::Persistent(ctor);
  exports.Set("FaissIndex", ctor);
  exports.Set("mallocTrim", Napi::Function::New(env, MallocTrim, "mallocTrim"));
  exports.Set("mallocTrimAsync", Napi::Function::New(env, MallocTrimAsync, "mallocTrimAsync"));
  exports.Set("faissVersion", Napi::String::New(env, std::to_string(FAISS_VERSION_MAJOR) + "." +
                                                         std::to_string(FAISS_VERSION_MINOR) + "." +
                                                         std::to_string(FAISS_VERSION_PATCH)));
  return exports;
}

}  // namespace

NODE_API_MODULE(codeintel_faiss, Init)
